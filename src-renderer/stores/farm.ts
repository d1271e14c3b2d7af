// The farm's boards as the inventory holds them, and the edits the Farm view makes to it.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  AnnouncedHost,
  BoardAction,
  BoardResult,
  CommandResult,
  DeviceForm,
  DeviceProvisionResult,
  DeviceRow,
  FoundHost,
  ProvisionProgress,
} from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

/** A refresh of boards' state, or an action on them. */
export type BoardTask = BoardAction | 'refresh';
/** Host keys the user answered in the modal: remembered, or trusted this time only. */
type HostKeyAnswers = { confirmed?: string[]; acceptedOnce?: string[] };

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

  /** Boards that announced themselves over mDNS, or why listening failed. */
  async function discover(
    interfaceAddress: string,
  ): Promise<{ found: AnnouncedHost[] } | { error: string }> {
    try {
      return await api.call('devices/discover', interfaceAddress ? { interfaceAddress } : {});
    } catch (err) {
      return { error: errorSentence(err) };
    }
  }

  /** The scan under way: addresses tried of the subnet's (null when none runs). */
  const scanProgress = shallowRef<{ done: number; total: number } | null>(null);
  const scanning = ref(false);
  api.on('scan/progress', (p) => {
    if (scanning.value) scanProgress.value = p;
  });

  async function scan(
    subnet: string,
    port: number,
  ): Promise<{ found: FoundHost[]; stopped: boolean } | { error: string }> {
    scanning.value = true;
    scanProgress.value = null;
    try {
      return await api.call('devices/scan', { subnet, port });
    } catch (err) {
      return { error: errorSentence(err) };
    } finally {
      scanning.value = false;
      scanProgress.value = null;
    }
  }

  async function stopScan(): Promise<void> {
    try {
      await api.call('devices/stop-scan', {});
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  /** The provisioning under way: every device's step and progress (null when none runs). */
  const progress = shallowRef<ProvisionProgress | null>(null);
  const provisioning = ref(false);
  /** Each device's last provisioning result in this session. */
  const results = shallowRef<ReadonlyMap<string, DeviceProvisionResult>>(new Map());
  api.on('provision/progress', (p) => {
    if (provisioning.value) progress.value = p;
  });

  /** Boards whose host-key question the user has answered since their last provisioning. */
  const answered = shallowRef<ReadonlySet<string>>(new Set());

  /** `trusted`: host keys the user answered in the modal, remembered or for this time only. */
  async function provision(names: string[], trusted: HostKeyAnswers = {}): Promise<void> {
    answered.value = new Set([...answered.value].filter((n) => !names.includes(n)));
    provisioning.value = true;
    progress.value = null;
    error.value = null;
    try {
      const r = await api.call('provision/start', { devices: names, ...trusted });
      const next = new Map(results.value);
      for (const d of r.devices) next.set(d.name, d);
      results.value = next;
      // A board that provisioned answers again: an older refresh's failure no longer holds.
      const failures = new Map(boardFailures.value);
      for (const d of r.devices) if (d.status === 'ok') failures.delete(d.name);
      boardFailures.value = failures;
      // What the provisioned boards now say about themselves (the core read it after pushing).
      await refresh();
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      provisioning.value = false;
      progress.value = null;
    }
  }

  async function cancelProvision(): Promise<void> {
    try {
      await api.call('provision/cancel', {});
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  /** Each board's last refresh or action failure in this session (its state is in `devices`). */
  const boardFailures = shallowRef<ReadonlyMap<string, BoardResult>>(new Map());
  /** The refresh or action under way, for the buttons to wait. */
  const boardsBusy = ref(false);
  /** What was last asked of each board: done again once the user trusts its host key. */
  const boardTasks = new Map<string, BoardTask>();

  async function onBoards(
    task: BoardTask,
    names: string[],
    trusted: HostKeyAnswers,
  ): Promise<void> {
    boardsBusy.value = true;
    error.value = null;
    answered.value = new Set([...answered.value].filter((n) => !names.includes(n)));
    try {
      const r =
        task === 'refresh'
          ? await api.call('devices/refresh', { names, ...trusted })
          : await api.call('devices/act', { action: task, names, ...trusted });
      const next = new Map(boardFailures.value);
      for (const d of r.devices) {
        boardTasks.set(d.name, task);
        if (d.status === 'failed') next.set(d.name, d);
        else next.delete(d.name);
      }
      boardFailures.value = next;
      await refresh();
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      boardsBusy.value = false;
    }
  }

  /** Reads the boards' own state again (every board when `names` is empty). */
  const refreshBoards = (names: string[], trusted: HostKeyAnswers = {}): Promise<void> =>
    onBoards('refresh', names, trusted);
  /** Reboots, shuts down or uninstalls the agent of boards the user confirmed. */
  const act = (action: BoardAction, names: string[], trusted: HostKeyAnswers = {}): Promise<void> =>
    onBoards(action, names, trusted);
  /** What was last asked of a board, done again with the host key the user trusted. */
  const retryBoard = (name: string, trusted: HostKeyAnswers): Promise<void> =>
    onBoards(boardTasks.get(name) ?? 'refresh', [name], trusted);
  /** The word the host-key dialog's buttons end with for a board's last task. */
  const taskOf = (name: string): BoardTask => boardTasks.get(name) ?? 'refresh';

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
