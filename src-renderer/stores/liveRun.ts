// The run the Run view follows and what the user asks of it (start, stop, resume after a reload).
// Which run is followed and what it reports are composables/followedRun.ts and runFigures.ts.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CommandArgs, CommandResult, RunSummary } from '../../src-main/contract/index';
import type { Plan } from '../../src-main/contract/plan';
import { AppError, ASKED_HOST_KEY_CODES } from '../../src-main/contract/index';
import { api } from '../api/index';
import type { HostKeyQuestion } from '../hostKey';
import { errorSentence } from '../api/sentence';
import { LIVE_STATES, useFollowedRun } from '../composables/followedRun';

export { FARM_CHANNEL, LATENCY_P50, LATENCY_P95 } from '../composables/runFigures';
export type { MeterNow, RunCounters } from '../composables/runFigures';

export type RunStart = CommandArgs<'run/start'>;
export type RunStarted = CommandResult<'run/start'>;

/**
 * The question in a refused start: the core refuses an unanswered or changed host key before the
 * run exists (core/runs.ts), naming the board and the keys in the error's fields.
 */
function hostKeyQuestionIn(err: unknown): HostKeyQuestion | null {
  if (!(err instanceof AppError)) return null;
  if (!ASKED_HOST_KEY_CODES.includes(err.code) || err.board === null) return null;
  return { name: err.board, code: err.code, message: err.message, details: err.details };
}

/** A plan chosen in the Plan view, waiting in the Run view for its source and Start. */
export interface Deployment {
  model: string;
  label: string;
  plan: Plan;
  /** The virtual farm it was planned on (profile:count), to emulate when none is up. */
  spec: string;
  /** The lab's boards it was planned on (the inventory), or null for a virtual farm. */
  boards: string[] | null;
}

export const useLiveRunStore = defineStore('liveRun', () => {
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** Set when a start was refused over a board's host key: the Run view asks, then starts again. */
  const hostKeyQuestion = shallowRef<HostKeyQuestion | null>(null);
  const deployment = shallowRef<Deployment | null>(null);
  /** Live runs other programs record in this data folder (see resume). */
  const elsewhere = shallowRef<RunSummary[]>([]);
  const followed = useFollowedRun(error);
  const { runId, state, follow, figures } = followed;

  async function act(work: () => Promise<void>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await work();
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      busy.value = false;
    }
  }

  const startDemo = (frames: number): Promise<void> =>
    act(async () => {
      const { runId: id } = await api.call('demo/start', { frames });
      follow(id);
      state.value ??= 'starting';
    });

  /**
   * Starts a run; resolves with its id and how the page makes its frames (null when the core
   * refused: error says why, or hostKeyQuestion asks about a board's host key).
   */
  async function start(req: RunStart): Promise<RunStarted | null> {
    let started: RunStarted | null = null;
    hostKeyQuestion.value = null;
    await act(async () => {
      try {
        started = await api.call('run/start', req);
      } catch (err) {
        hostKeyQuestion.value = hostKeyQuestionIn(err);
        if (hostKeyQuestion.value) return;
        throw err;
      }
      follow(started.runId);
      state.value ??= 'starting';
    });
    return started;
  }

  const stop = (): Promise<void> =>
    act(async () => {
      if (runId.value) await api.call('run/stop', { runId: runId.value });
    });

  /**
   * Picks up a run of this core that was already live when the page loaded, with the samples so
   * far. Runs another program records (a CLI run, another serve) are listed in `elsewhere` with
   * their owner: their events never come here, and only their owner can stop them.
   */
  const resume = (): Promise<void> =>
    act(async () => {
      if (runId.value) return;
      const [{ runs }, { pid }] = await Promise.all([
        api.call('run/list', {}),
        api.call('app/info', {}),
      ]);
      const lives = runs.filter((r) => LIVE_STATES.includes(r.state));
      elsewhere.value = lives.filter((r) => r.owner?.pid !== pid);
      const live = lives.find((r) => r.owner?.pid === pid);
      if (!live) return;
      const { run, metrics } = await api.call('run/get', { runId: live.id });
      if (runId.value && runId.value !== run.id) return;
      follow(run.id);
      state.value ??= run.state;
      if (figures.shown.faults.value.length === 0) figures.faultsFrom(run);
      if (figures.shown.throughput.length === 0) metrics.forEach(figures.record);
    });

  const { message, summary, preview, isLive } = followed;
  return {
    runId,
    state,
    message,
    summary,
    busy,
    error,
    hostKeyQuestion,
    ...figures.shown,
    isLive,
    preview,
    deployment,
    elsewhere,
    startDemo,
    start,
    stop,
    resume,
  };
});
