// The lab's virtual farm (emulated boards as local agents, the same one `mchair farm` drives):
// whether it is up, its boards' health, and starting, growing or stopping it from the Farm view.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { VirtualFarm } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useVirtualFarmStore = defineStore('virtualFarm', () => {
  const farm = shallowRef<VirtualFarm | null>(null);
  /** What is under way: starting boards takes seconds, the buttons say so meanwhile. */
  const busy = ref<'starting' | 'adding' | 'stopping' | null>(null);
  const error = ref<string | null>(null);

  async function act(kind: 'starting' | 'adding' | 'stopping' | null, work: () => Promise<void>) {
    if (kind) busy.value = kind;
    error.value = null;
    try {
      await work();
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      if (kind) busy.value = null;
    }
  }

  const refresh = () =>
    act(null, async () => {
      farm.value = await api.call('farm/status', {});
    });
  const up = (spec: string) =>
    act('starting', async () => {
      farm.value = await api.call('farm/up', { spec });
    });
  /** More boards in the running farm: a run on it offers them a chair (runtime/join.ts). */
  const add = (spec: string) =>
    act('adding', async () => {
      farm.value = await api.call('farm/add', { spec });
    });
  const down = () =>
    act('stopping', async () => {
      await api.call('farm/down', {});
      farm.value = await api.call('farm/status', {});
    });

  return { farm, busy, error, refresh, up, add, down };
});
