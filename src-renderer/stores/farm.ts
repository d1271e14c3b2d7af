// The farm's boards as the inventory holds them, and the edits the Farm view makes to it; finding
// boards, provisioning them and acting on them are composables (composables/boardScan.ts,
// boardTasks.ts) that share its error line, host-key answers and board failures.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  BoardResult,
  CommandResult,
  DeviceForm,
  DeviceRow,
} from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import { useBoardScan } from '../composables/boardScan';
import { useBoardActions, useProvisioning } from '../composables/boardTasks';

export type { BoardTask } from '../composables/boardTasks';

export const useFarmStore = defineStore('farm', () => {
  const devices = shallowRef<DeviceRow[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  /** Each board's readings from its agent (and why a board has none), and its own plug's. */
  const readings = shallowRef<
    ReadonlyMap<string, CommandResult<'devices/readings'>['devices'][number]>
  >(new Map());

  async function refreshReadings(): Promise<void> {
    try {
      const r = await api.call('devices/readings', {});
      readings.value = new Map(r.devices.map((d) => [d.name, d]));
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

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

  /**
   * Hands a board's SSH password, or its key's passphrase, to the core's secret store (the page
   * keeps no copy); null or why it failed.
   */
  async function saveSecret(
    kind: 'password' | 'passphrase',
    name: string,
    secret: string,
  ): Promise<string | null> {
    try {
      if (kind === 'password') await api.call('devices/save-password', { name, password: secret });
      else await api.call('devices/save-passphrase', { name, passphrase: secret });
      return null;
    } catch (err) {
      return errorSentence(err);
    }
  }

  /** Boards whose host-key question the user has answered since their last provisioning. */
  const answered = shallowRef<ReadonlySet<string>>(new Set());
  /** Each board's last refresh or action failure in this session (its state is in `devices`). */
  const boardFailures = shallowRef<ReadonlyMap<string, BoardResult>>(new Map());
  const shared = { error, answered, boardFailures, refresh };
  const { discover, scan, scanProgress, scanning, stopScan } = useBoardScan(error);
  const { progress, provisioning, results, provision, cancelProvision } = useProvisioning(shared);
  const { boardsBusy, refreshBoards, act, retryBoard, taskOf } = useBoardActions(shared);

  function answer(name: string): void {
    answered.value = new Set([...answered.value, name]);
  }

  return {
    devices,
    loaded,
    error,
    refresh,
    readings,
    refreshReadings,
    add,
    remove,
    importFile,
    saveSecret,
    discover,
    scan,
    scanProgress,
    scanning,
    stopScan,
    progress,
    provisioning,
    results,
    provision,
    cancelProvision,
    answered,
    answer,
    boardFailures,
    boardsBusy,
    refreshBoards,
    act,
    retryBoard,
    taskOf,
  };
});
