// The run the Run view follows: it follows the run it started, or, when none is live, the run the
// core reports next (one started from another tab, or live before a reload). Its state and
// finished record, its latest preview, and its figures (runFigures.ts) come from the core's events.
import type { Ref } from 'vue';
import { computed, ref, shallowRef } from 'vue';
import type { RunFrame, RunState, RunSummary } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import { useRunFigures } from './runFigures';

export const LIVE_STATES: readonly RunState[] = ['starting', 'running'];

/** `error`: the live-run store's line, where a record that could not be read is told. */
export function useFollowedRun(error: Ref<string | null>) {
  const runId = ref<string | null>(null);
  const state = ref<RunState | null>(null);
  const message = ref<string | null>(null);
  /** The finished run's record (IPS, largest difference), once it has ended. */
  const summary = shallowRef<RunSummary | null>(null);
  /** The latest answered frame's top-5 and the page source's counters. */
  const preview = shallowRef<RunFrame | null>(null);

  const figures = useRunFigures();
  const { record, recordPower, addFault, faultsFrom } = figures;

  const isLive = computed(() => state.value !== null && LIVE_STATES.includes(state.value));

  function follow(id: string): void {
    if (runId.value === id) return;
    runId.value = id;
    state.value = null;
    message.value = null;
    summary.value = null;
    preview.value = null;
    figures.clear();
  }

  /** Whether an event of run `id` is ours, switching to that run when ours is over. */
  function accepts(id: string): boolean {
    if (runId.value === id) return true;
    if (isLive.value) return false;
    follow(id);
    return true;
  }

  async function loadSummary(id: string): Promise<void> {
    try {
      const { run } = await api.call('run/get', { runId: id });
      if (runId.value !== id) return;
      summary.value = run;
      faultsFrom(run);
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  api.on('run/state', (p) => {
    if (!accepts(p.runId)) return;
    state.value = p.state;
    message.value = p.message;
    if (!LIVE_STATES.includes(p.state)) void loadSummary(p.runId);
  });
  api.on('run/metrics', (m) => {
    if (accepts(m.runId)) record(m);
  });
  api.on('run/power', (p) => {
    if (accepts(p.runId)) recordPower(p);
  });
  api.on('run/fault', (f) => {
    if (accepts(f.runId)) addFault(f);
  });
  api.on('run/plan', ({ runId: id, ...p }) => {
    if (accepts(id)) figures.shown.plan.value = p;
  });
  api.on('run/frame', (f) => {
    if (f.runId === runId.value) preview.value = f;
  });

  return { runId, state, message, summary, preview, isLive, figures, follow };
}
