// The trained models the lab can get by name (the catalogue), and the downloads under way: their
// progress comes as models/get-progress events, and a download outlives the dialog that started
// it (closing the dialog does not cancel; Cancel does, keeping the bytes for a resume).
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import type { CatalogueRow, DownloadProgress } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import { useModelsStore } from './models';

export interface Download {
  progress: DownloadProgress | null;
  cancelling: boolean;
}

export const useCatalogueStore = defineStore('catalogue', () => {
  const entries = shallowRef<CatalogueRow[]>([]);
  const error = ref<string | null>(null);
  /** Downloads under way by catalogue id. */
  const downloads = reactive(new Map<string, Download>());
  /** The last outcome per id: a sentence to show beside the entry until the next attempt. */
  const outcomes = reactive(new Map<string, { ok: boolean; text: string }>());

  api.on('models/get-progress', (p) => {
    const d = downloads.get(p.id);
    if (d) d.progress = p;
  });

  async function load(): Promise<void> {
    try {
      entries.value = (await api.call('models/catalogue', {})).entries;
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  async function get(id: string): Promise<void> {
    if (downloads.has(id)) return;
    downloads.set(id, { progress: null, cancelling: false });
    outcomes.delete(id);
    try {
      const r = await api.call('models/get', { name: id });
      outcomes.set(id, {
        ok: true,
        text: r.source ? `added to the library (from ${r.source})` : 'in the library already',
      });
      await Promise.all([load(), useModelsStore().load()]);
    } catch (err) {
      outcomes.set(id, { ok: false, text: errorSentence(err) });
    } finally {
      downloads.delete(id);
    }
  }

  async function cancel(id: string): Promise<void> {
    const d = downloads.get(id);
    if (!d) return;
    d.cancelling = true;
    try {
      await api.call('models/cancel-get', { name: id });
    } catch (err) {
      outcomes.set(id, { ok: false, text: errorSentence(err) });
    }
  }

  return { entries, error, downloads, outcomes, load, get, cancel };
});
