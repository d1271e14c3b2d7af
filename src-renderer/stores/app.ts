// What is running: version, mode and data folder (the core's app/info), and the change of the
// data folder Settings makes.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CommandArgs, CommandResult } from '../../src-main/contract/index';
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

  /** The data folder Settings changed to, until the program starts again on it. */
  const changed = shallowRef<CommandResult<'settings/data-folder'> | null>(null);
  const changing = ref(false);

  async function changeDataFolder(args: CommandArgs<'settings/data-folder'>): Promise<void> {
    changing.value = true;
    error.value = null;
    try {
      changed.value = await api.call('settings/data-folder', args);
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      changing.value = false;
    }
  }

  return { info, error, load, changed, changing, changeDataFolder };
});
