// The built-in CNNs and the lab's imported ones, importing an ONNX file, and, for the model
// picked, its per-layer costs (MACs, parameters, activations).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ModelCard, ModelCosts, ZooEntry } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import { toBase64 } from '../composables/pageFrames';

/** 512 KiB of file per call: under the WebSocket's 1 MiB frame once in base64. */
const UPLOAD_CHUNK_BYTES = 512 * 1024;

export const useModelsStore = defineStore('models', () => {
  const zoo = shallowRef<ZooEntry[]>([]);
  const imported = shallowRef<ZooEntry[]>([]);
  const selected = ref<string | null>(null);
  const costs = shallowRef<ModelCosts | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      const list = await api.call('models/list', {});
      zoo.value = list.zoo;
      imported.value = list.imported;
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  async function inspect(name: string): Promise<void> {
    selected.value = name;
    loading.value = true;
    try {
      const result = await api.call('models/inspect', { name });
      // A slower answer for a model picked earlier must not replace the one picked last.
      if (selected.value === name) costs.value = result;
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      if (selected.value === name) loading.value = false;
    }
  }

  /** Bytes of the file sent so far while importing (null when no import runs). */
  const uploaded = ref<{ sent: number; total: number } | null>(null);
  let cancelUpload = false;

  /** Imports an ONNX file in order, chunk by chunk; returns the core's sentence when it fails. */
  async function importFile(
    file: File,
    name: string,
    card: ModelCard | undefined,
  ): Promise<string | null> {
    const uploadId = crypto.randomUUID();
    cancelUpload = false;
    uploaded.value = { sent: 0, total: file.size };
    try {
      for (let offset = 0; ; offset += UPLOAD_CHUNK_BYTES) {
        if (cancelUpload) return 'the import was cancelled';
        const bytes = new Uint8Array(
          await file.slice(offset, offset + UPLOAD_CHUNK_BYTES).arrayBuffer(),
        );
        const last = offset + UPLOAD_CHUNK_BYTES >= file.size;
        const r = await api.call('models/upload', {
          uploadId,
          name,
          offset,
          chunk: toBase64(bytes),
          last,
          ...(card ? { card } : {}),
        });
        uploaded.value = { sent: r.received, total: file.size };
        if (r.model) {
          await load();
          selected.value = name;
          costs.value = r.model;
          return null;
        }
      }
    } catch (err) {
      return errorSentence(err);
    } finally {
      uploaded.value = null;
    }
  }

  function cancelImport(): void {
    cancelUpload = true;
  }

  return {
    zoo,
    imported,
    selected,
    costs,
    loading,
    error,
    uploaded,
    load,
    inspect,
    importFile,
    cancelImport,
  };
});
