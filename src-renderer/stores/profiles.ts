// Boards' measured profiles in the Farm view: where each board's profile comes from (built in,
// measured on a date), and the Profile action under way with its progress and Cancel. One
// profiling at a time for the whole lab, as the core allows.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  BoardProfileSource,
  ProfileFarm,
  ProfileProgress,
} from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useProfilesStore = defineStore('profiles', () => {
  const sources = shallowRef<Record<ProfileFarm, ReadonlyMap<string, BoardProfileSource>>>({
    virtual: new Map(),
    inventory: new Map(),
  });
  /** The farm being profiled (null when none is), and how far it is. */
  const profiling = ref<ProfileFarm | null>(null);
  const progress = shallowRef<ProfileProgress | null>(null);
  /** Why the last Profile failed, on the farm it was asked for. */
  const error = shallowRef<{ farm: ProfileFarm; text: string } | null>(null);

  api.on('profile/progress', (p) => {
    if (profiling.value === p.farm) progress.value = p;
  });

  function keep(farm: ProfileFarm, list: readonly BoardProfileSource[]): void {
    const next = new Map(sources.value[farm]);
    for (const s of list) next.set(s.device, s);
    sources.value = { ...sources.value, [farm]: next };
  }

  async function list(farm: ProfileFarm): Promise<void> {
    try {
      const r = await api.call('profile/list', { farm });
      sources.value = { ...sources.value, [farm]: new Map(r.devices.map((d) => [d.device, d])) };
    } catch {
      // No virtual farm up, or no boards: nothing to show, and the panels say so already.
      sources.value = { ...sources.value, [farm]: new Map() };
    }
  }

  async function start(farm: ProfileFarm, devices: string[]): Promise<void> {
    if (profiling.value !== null || devices.length === 0) return;
    profiling.value = farm;
    progress.value = null;
    error.value = null;
    try {
      keep(farm, (await api.call('profile/start', { farm, devices })).devices);
    } catch (err) {
      error.value = { farm, text: errorSentence(err) };
    } finally {
      profiling.value = null;
      progress.value = null;
    }
  }

  async function cancel(): Promise<void> {
    await api.call('profile/cancel', {});
  }

  return { sources, profiling, progress, error, list, start, cancel };
});
