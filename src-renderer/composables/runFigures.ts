// What the Run view shows of the run it follows as the core reports it: the latest counters and
// devices, the meters' latest readings and the energy so far, the faults and the plan as
// reactive summaries, and the throughput, utilisation, latency and power samples in MetricRings
// kept outside reactivity (the chart reads them directly; see STYLE.md "Pinia and live charts").
import { markRaw, shallowRef } from 'vue';
import type {
  DeviceMetrics,
  EventPayload,
  LiveEnergy,
  RunFault,
  RunMetrics,
  RunSummary,
} from '../../src-main/contract/index';
import { MetricRing } from './metricRing';

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

export type RunCounters = Omit<RunMetrics, 'runId' | 'devices'>;

export function useRunFigures() {
  const counters = shallowRef<RunCounters | null>(null);
  const devices = shallowRef<DeviceMetrics[]>([]);
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

  /** Forgets the last run's figures (a new run is followed). */
  function clear(): void {
    counters.value = null;
    devices.value = [];
    faults.value = [];
    plan.value = null;
    meters.value = [];
    energy.value = null;
    for (const ring of rings) ring.clear();
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

  return {
    /** What the store shows of them. */
    shown: {
      counters,
      devices,
      faults,
      plan,
      throughput,
      utilisation,
      latency,
      power,
      meters,
      energy,
    },
    clear,
    record,
    recordPower,
    addFault,
    faultsFrom,
  };
}
