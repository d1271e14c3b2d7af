// What is running: version, mode and data folder (the core's app/info).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CommandResult } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useAppStore = defineStore('app', () => {
  const info = shallowRef<CommandResult<'app/info'> | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await api.call('app/info', {});
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  return { info, error, load };
});
