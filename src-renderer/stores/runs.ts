// The run history the Reports view lists (the core's run/list), and what it does with runs:
// delete one, export one or several as a report file.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CommandResult, RunSummary } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export type ReportFormat = 'html' | 'pdf' | 'csv' | 'json';

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

  async function remove(runId: string): Promise<void> {
    try {
      await api.call('run/delete', { runId });
      await refresh();
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  /** The report's file, or null when it failed (the error says why). */
  async function exportReport(
    runIds: string[],
    format: ReportFormat,
  ): Promise<CommandResult<'reports/export'> | null> {
    try {
      error.value = null;
      return await api.call('reports/export', { runIds, format });
    } catch (err) {
      error.value = errorSentence(err);
      return null;
    }
  }

  return { runs, loaded, loading, error, refresh, remove, exportReport };
});
