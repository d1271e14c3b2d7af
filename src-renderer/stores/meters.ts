// The lab's saved power meters (Settings), kept by the core in meters.json; runs started from the
// app are measured by every one of them.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SavedMeter } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useMetersStore = defineStore('meters', () => {
  const meters = shallowRef<SavedMeter[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  /** Runs one call that answers with the whole list; returns the core's sentence when it fails. */
  async function apply(call: () => Promise<{ meters: SavedMeter[] }>): Promise<string | null> {
    try {
      meters.value = (await call()).meters;
      error.value = null;
      return null;
    } catch (err) {
      return errorSentence(err);
    } finally {
      loaded.value = true;
    }
  }

  async function load(): Promise<void> {
    error.value = await apply(() => api.call('meters/list', {}));
  }

  /** Adds `meter`, or edits the one named `replaces`. */
  const save = (meter: SavedMeter, replaces?: string): Promise<string | null> =>
    apply(() => api.call('meters/save', { meter, ...(replaces ? { replaces } : {}) }));
  const remove = (name: string): Promise<string | null> =>
    apply(() => api.call('meters/remove', { name }));

  return { meters, loaded, error, load, save, remove };
});
