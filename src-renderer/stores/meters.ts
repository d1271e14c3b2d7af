// The lab's saved power meters (Settings), kept by the core in meters.json; runs started from the
// app are measured by every one of them.
import { defineStore } from 'pinia';
import type { SavedMeter } from '../../src-main/contract/index';
import { api } from '../api/index';
import { savedListState } from '../composables/savedList';

export const useMetersStore = defineStore('meters', () => {
  const {
    items: meters,
    loaded,
    error,
    apply,
  } = savedListState((r: { meters: SavedMeter[] }) => r.meters);

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
