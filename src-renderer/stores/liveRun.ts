// The run the Run view follows: its state and latest counters as reactive summaries, and its
// throughput samples in a MetricRing kept outside reactivity (the chart reads it directly; see
// STYLE.md "Pinia and live charts"). It follows the run it started, or, when none is live, the
// run the core reports next (one started from another tab, or live before a reload).
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type {
  CommandArgs,
  CommandResult,
  DeviceMetrics,
  EventPayload,
  LiveEnergy,
  RunFault,
  RunFrame,
  RunMetrics,
  RunState,
  RunSummary,
} from '../../src-main/contract/index';
import type { Plan } from '../../src-main/contract/plan';
import { AppError, ASKED_HOST_KEY_CODES } from '../../src-main/contract/index';
import { api } from '../api/index';
import type { HostKeyQuestion } from '../hostKey';
import { errorSentence } from '../api/sentence';
import { MetricRing } from '../composables/metricRing';

/** The ring's channel for the whole farm's inferences per second; devices use their names. */
export const FARM_CHANNEL = 'farm';
export const LATENCY_P50 = 'p50';
export const LATENCY_P95 = 'p95';
/** Ten minutes at 10 samples a second. */
const RING_CAPACITY = 6000;
/**
 * Power samples take a row each (meters keep their own times): ten minutes of a bench analyzer
 * and four boards' meters at 10 samples a second.
 */
const POWER_CAPACITY = 30_000;

/** A meter as the Run view lists it: its latest reading and idle line. */
export interface MeterNow {
  meter: string;
  emulated: boolean;
  idleW: number | null;
  intervalMs: number;
  /** The latest sample's watts and time (seconds since the first frame). */
  w: number;
  t: number;
}
const LIVE_STATES: readonly RunState[] = ['starting', 'running'];

export type RunCounters = Omit<RunMetrics, 'runId' | 'devices'>;
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
  const runId = ref<string | null>(null);
  const state = ref<RunState | null>(null);
  const message = ref<string | null>(null);
  const counters = shallowRef<RunCounters | null>(null);
  const devices = shallowRef<DeviceMetrics[]>([]);
  /** The finished run's record (IPS, largest difference), once it has ended. */
  const summary = shallowRef<RunSummary | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** Set when a start was refused over a board's host key: the Run view asks, then starts again. */
  const hostKeyQuestion = shallowRef<HostKeyQuestion | null>(null);
  /** The latest answered frame's top-5 and the page source's counters. */
  const preview = shallowRef<RunFrame | null>(null);
  const deployment = shallowRef<Deployment | null>(null);
  /** Live runs other programs record in this data folder (see resume). */
  const elsewhere = shallowRef<RunSummary[]>([]);
  /** Board changes (failures, returns, joins) as the core reported them, oldest first. */
  const faults = shallowRef<EventPayload<'run/fault'>[]>([]);
  /** The plan the run follows now (replaced at each re-plan), with its tensors' sizes. */
  const plan = shallowRef<Omit<EventPayload<'run/plan'>, 'runId'> | null>(null);
  const throughput = markRaw(new MetricRing(RING_CAPACITY));
  const utilisation = markRaw(new MetricRing(RING_CAPACITY));
  const latency = markRaw(new MetricRing(RING_CAPACITY));
  /** Every meter's watts, one channel per meter label, at each meter's own rate. */
  const power = markRaw(new MetricRing(POWER_CAPACITY));
  const rings = [throughput, utilisation, latency, power];
  /** Each meter's latest reading, in the order the core lists them. */
  const meters = shallowRef<MeterNow[]>([]);
  /** Joules per inference over the measured window so far; null until it opens. */
  const energy = shallowRef<LiveEnergy | null>(null);

  const isLive = computed(() => state.value !== null && LIVE_STATES.includes(state.value));

  function follow(id: string): void {
    if (runId.value === id) return;
    runId.value = id;
    state.value = null;
    message.value = null;
    counters.value = null;
    devices.value = [];
    summary.value = null;
    preview.value = null;
    faults.value = [];
    plan.value = null;
    meters.value = [];
    energy.value = null;
    for (const ring of rings) ring.clear();
  }

  /** Whether an event of run `id` is ours, switching to that run when ours is over. */
  function accepts(id: string): boolean {
    if (runId.value === id) return true;
    if (isLive.value) return false;
    follow(id);
    return true;
  }

  function record(m: RunMetrics): void {
    const { t, sent, completed, dropped, ips, latencyP50Ms, latencyP95Ms } = m;
    counters.value = { t, sent, completed, dropped, ips, latencyP50Ms, latencyP95Ms };
    devices.value = m.devices;
    throughput.append(t, [
      [FARM_CHANNEL, ips],
      ...m.devices.map((d) => [d.device, d.fps] as const),
    ]);
    utilisation.append(
      t,
      m.devices.map((d) => [d.device, 100 * d.utilisation] as const),
    );
    latency.append(t, [
      [LATENCY_P50, latencyP50Ms],
      [LATENCY_P95, latencyP95Ms],
    ]);
  }

  function recordPower(p: EventPayload<'run/power'>): void {
    const before = new Map(meters.value.map((m) => [m.meter, m]));
    // The core lists every meter in every batch; one with no new sample keeps its last reading.
    meters.value = p.meters.map(({ meter, emulated, idleW, intervalMs, samples }) => {
      for (const [t, w] of samples) power.append(t, [[meter, w]]);
      const [t, w] = samples[samples.length - 1] ?? [before.get(meter)?.t, before.get(meter)?.w];
      return { meter, emulated, idleW, intervalMs, t: t ?? NaN, w: w ?? NaN };
    });
    energy.value = p.energy;
  }

  /**
   * A fault comes twice (as acted on, then once throughput recovered or the link answered): the
   * second replaces the first. The run's record is the truth after a reload.
   */
  function addFault(f: EventPayload<'run/fault'>): void {
    const same = (x: RunFault) =>
      x.kind === f.kind && x.device === f.device && x.detectedAt === f.detectedAt;
    const i = faults.value.findIndex(same);
    faults.value = i < 0 ? [...faults.value, f] : faults.value.map((x, k) => (k === i ? f : x));
  }

  /** The faults and re-plans the run's record holds (after a reload, or once it ended). */
  function faultsFrom(run: RunSummary): void {
    faults.value = (run.faults ?? []).map((f) => ({ ...f, runId: run.id }));
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
    if (accepts(id)) plan.value = p;
  });
  api.on('run/frame', (f) => {
    if (f.runId === runId.value) preview.value = f;
  });

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
      if (faults.value.length === 0) faultsFrom(run);
      if (throughput.length === 0) metrics.forEach(record);
    });

  return {
    runId,
    state,
    message,
    counters,
    devices,
    summary,
    busy,
    error,
    hostKeyQuestion,
    throughput,
    utilisation,
    latency,
    power,
    meters,
    energy,
    isLive,
    preview,
    deployment,
    faults,
    plan,
    elsewhere,
    startDemo,
    start,
    stop,
    resume,
  };
});
