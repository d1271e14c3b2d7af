// The built-in CNNs and, for the one picked, its per-layer costs (MACs, parameters, activations).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ModelCosts, ZooEntry } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useModelsStore = defineStore('models', () => {
  const zoo = shallowRef<ZooEntry[]>([]);
  const selected = ref<string | null>(null);
  const costs = shallowRef<ModelCosts | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      zoo.value = (await api.call('models/list', {})).zoo;
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

  return { zoo, selected, costs, loading, error, load, inspect };
});
