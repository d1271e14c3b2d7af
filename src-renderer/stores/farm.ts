// The farm's boards as the inventory holds them, and the edits the Farm view makes to it.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { DeviceForm, DeviceRow, FoundHost } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

export const useFarmStore = defineStore('farm', () => {
  const devices = shallowRef<DeviceRow[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  async function refresh(): Promise<void> {
    try {
      devices.value = (await api.call('devices/list', {})).devices;
      error.value = null;
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      loaded.value = true;
    }
  }

  /** Runs an edit; returns the core's sentence when it fails (the dialog shows it), else null. */
  async function edit(work: () => Promise<unknown>): Promise<string | null> {
    try {
      await work();
      await refresh();
      return null;
    } catch (err) {
      return errorSentence(err);
    }
  }

  const add = (device: DeviceForm): Promise<string | null> =>
    edit(() => api.call('devices/add', { device }));
  const remove = (name: string): Promise<string | null> =>
    edit(() => api.call('devices/remove', { name }));
  const importFile = (fileName: string, text: string, replace: boolean): Promise<string | null> =>
    edit(() => api.call('devices/import', { fileName, text, replace }));

  async function scan(subnet: string): Promise<{ found: FoundHost[] } | { error: string }> {
    try {
      return await api.call('devices/scan', { subnet });
    } catch (err) {
      return { error: errorSentence(err) };
    }
  }

  return { devices, loaded, error, refresh, add, remove, importFile, scan };
});
