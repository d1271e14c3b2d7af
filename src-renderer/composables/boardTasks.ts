// What the Farm view asks of boards already in the inventory: provisioning them (with every
// board's progress), and refreshing their state or acting on them (reboot, shut down, uninstall),
// each board's failure kept until it answers again. Both forget a board's host-key answer when
// they ask it again, and both refresh the farm's list when done.
import type { Ref, ShallowRef } from 'vue';
import { ref, shallowRef } from 'vue';
import type {
  BoardAction,
  BoardResult,
  DeviceProvisionResult,
  ProvisionProgress,
} from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

/** A refresh of boards' state, or an action on them. */
export type BoardTask = BoardAction | 'refresh';
/** Host keys the user answered in the modal: remembered, or trusted this time only. */
export type HostKeyAnswers = { confirmed?: string[]; acceptedOnce?: string[] };

/** What the farm store shares with its board tasks. */
export interface FarmShared {
  /** The store's line for a failure that is no single board's. */
  error: Ref<string | null>;
  /** Boards whose host-key question the user has answered since they were last asked. */
  answered: ShallowRef<ReadonlySet<string>>;
  /** Each board's last refresh or action failure in this session (its state is in `devices`). */
  boardFailures: ShallowRef<ReadonlyMap<string, BoardResult>>;
  /** Reads the inventory's list again. */
  refresh(): Promise<void>;
}

function forgetAnswers(f: FarmShared, names: readonly string[]): void {
  f.answered.value = new Set([...f.answered.value].filter((n) => !names.includes(n)));
}

export function useProvisioning(f: FarmShared) {
  /** The provisioning under way: every device's step and progress (null when none runs). */
  const progress = shallowRef<ProvisionProgress | null>(null);
  const provisioning = ref(false);
  /** Each device's last provisioning result in this session. */
  const results = shallowRef<ReadonlyMap<string, DeviceProvisionResult>>(new Map());
  api.on('provision/progress', (p) => {
    if (provisioning.value) progress.value = p;
  });

  /** `trusted`: host keys the user answered in the modal, remembered or for this time only. */
  async function provision(names: string[], trusted: HostKeyAnswers = {}): Promise<void> {
    forgetAnswers(f, names);
    provisioning.value = true;
    progress.value = null;
    f.error.value = null;
    try {
      const r = await api.call('provision/start', { devices: names, ...trusted });
      const next = new Map(results.value);
      for (const d of r.devices) next.set(d.name, d);
      results.value = next;
      // A board that provisioned answers again: an older refresh's failure no longer holds.
      const failures = new Map(f.boardFailures.value);
      for (const d of r.devices) if (d.status === 'ok') failures.delete(d.name);
      f.boardFailures.value = failures;
      // What the provisioned boards now say about themselves (the core read it after pushing).
      await f.refresh();
    } catch (err) {
      f.error.value = errorSentence(err);
    } finally {
      provisioning.value = false;
      progress.value = null;
    }
  }

  async function cancelProvision(): Promise<void> {
    try {
      await api.call('provision/cancel', {});
    } catch (err) {
      f.error.value = errorSentence(err);
    }
  }

  return { progress, provisioning, results, provision, cancelProvision };
}

export function useBoardActions(f: FarmShared) {
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
    f.error.value = null;
    forgetAnswers(f, names);
    try {
      const r =
        task === 'refresh'
          ? await api.call('devices/refresh', { names, ...trusted })
          : await api.call('devices/act', { action: task, names, ...trusted });
      const next = new Map(f.boardFailures.value);
      for (const d of r.devices) {
        boardTasks.set(d.name, task);
        if (d.status === 'failed') next.set(d.name, d);
        else next.delete(d.name);
      }
      f.boardFailures.value = next;
      await f.refresh();
    } catch (err) {
      f.error.value = errorSentence(err);
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

  return { boardsBusy, refreshBoards, act, retryBoard, taskOf };
}
