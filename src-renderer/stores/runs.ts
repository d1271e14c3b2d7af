// The run history the Reports view lists (the core's run/list).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { RunSummary } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useRunsStore = defineStore('runs', () => {
  const runs = shallowRef<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      runs.value = (await api.call('run/list', {})).runs;
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  return { runs, loaded, loading, error, refresh };
});
