// The lab's model mirrors (Settings), kept by the core in mirrors.json; every "Get a trained
// model" tries them, in order, before the zoo's own hosts.
import { defineStore } from 'pinia';
import { api } from '../api/index';
import { savedListState } from '../composables/savedList';

export const useMirrorsStore = defineStore('mirrors', () => {
  const {
    items: mirrors,
    loaded,
    error,
    apply,
  } = savedListState((r: { mirrors: string[] }) => r.mirrors);

  async function load(): Promise<void> {
    error.value = await apply(() => api.call('mirrors/list', {}));
  }
  const add = (url: string): Promise<string | null> =>
    apply(() => api.call('mirrors/add', { url }));
  const remove = (url: string): Promise<string | null> =>
    apply(() => api.call('mirrors/remove', { url }));

  return { mirrors, loaded, error, load, add, remove };
});
