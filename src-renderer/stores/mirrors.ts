// The lab's model mirrors (Settings), kept by the core in mirrors.json; every "Get a trained
// model" tries them, in order, before the zoo's own hosts.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useMirrorsStore = defineStore('mirrors', () => {
  const mirrors = shallowRef<string[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  /** Runs one call that answers with the whole list; returns the core's sentence when it fails. */
  async function apply(call: () => Promise<{ mirrors: string[] }>): Promise<string | null> {
    try {
      mirrors.value = (await call()).mirrors;
      error.value = null;
      return null;
    } catch (err) {
      return errorSentence(err);
    } finally {
      loaded.value = true;
    }
  }

  async function load(): Promise<void> {
    error.value = await apply(() => api.call('mirrors/list', {}));
  }
  const add = (url: string): Promise<string | null> =>
    apply(() => api.call('mirrors/add', { url }));
  const remove = (url: string): Promise<string | null> =>
    apply(() => api.call('mirrors/remove', { url }));

  return { mirrors, loaded, error, load, add, remove };
});
