// What the UI and reports know of a run: its identity, state, counters and live metrics.
import { z } from 'zod';
import { RunEnergy } from './energy';

export const RunId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'is not a run id');

export const RunState = z.enum(['starting', 'running', 'done', 'failed', 'stopped']);
export type RunState = z.infer<typeof RunState>;

export const DeviceMetrics = z.object({
  device: z.string(),
  /** Frames this device finished in the last interval, per second. */
  fps: z.number(),
  /** Share of wall time spent computing, 0..1. */
  utilisation: z.number(),
  computeMs: z.number(),
  emulated: z.boolean(),
});
export type DeviceMetrics = z.infer<typeof DeviceMetrics>;

export const RunMetrics = z.object({
  runId: RunId,
  /** Seconds since the run started, on the coordinator's monotonic clock. */
  t: z.number(),
  sent: z.number().int(),
  completed: z.number().int(),
  dropped: z.number().int(),
  ips: z.number(),
  latencyP50Ms: z.number(),
  latencyP95Ms: z.number(),
  devices: z.array(DeviceMetrics),
});
export type RunMetrics = z.infer<typeof RunMetrics>;

/**
 * A change of the run's boards and what the run did about it (see runtime/faults.ts): a board
 * failed, slowed, came back, or joined the farm (runtime/join.ts). Times in seconds since the
 * first frame, on the coordinator's monotonic clock.
 */
/**
 * When in a run a fault was met: connecting to the boards, while they loaded their parts, mid-run,
 * while a re-plan's redeployment loaded, or while the last frames drained.
 */
export const FaultPhase = z.enum(['connect', 'deploy', 'run', 'replan', 'drain']);
export type FaultPhase = z.infer<typeof FaultPhase>;

export const RunFault = z.object({
  /** outage: every board silent at once, taken for this machine's own link (device: "link"). */
  kind: z.enum(['lost', 'slowed', 'back', 'joined', 'outage']),
  device: z.string(),
  /** The --chaos action that caused it (kill, cut, slow, back), null for a real failure. */
  cause: z.string().nullable(),
  /** Records made before phases were kept are mid-run ones. */
  phase: FaultPhase.default('run'),
  /**
   * When it happened, in seconds since the first frame (0 before it: see phase): the injection,
   * else the board's last answer.
   */
  at: z.number(),
  detectedAt: z.number(),
  detectionMs: z.number(),
  /** Slowed boards: how many times slower than their profile. */
  slowdown: z.number().nullable(),
  replanMs: z.number().nullable(),
  redeployMs: z.number().nullable(),
  /** Frames in flight at the change, sent again under the new plan. */
  resent: z.number().int(),
  /** The plan the run went on with; null when the board was not in the plan. */
  plan: z
    .object({ origin: z.string(), predictedIps: z.number(), devices: z.array(z.string()) })
    .nullable(),
  why: z.string(),
  /**
   * A joined board: the planner's predicted IPS gain with it, as a share of the plan running
   * (0.12 = +12%); the run re-plans only from JOIN_GAIN up. Absent for the other kinds.
   */
  gain: z.number().optional(),
  /**
   * Seconds from detection until throughput reached 90% of the new plan's prediction; for an
   * outage, until the link answered again.
   */
  recoveryS: z.number().nullable(),
});
export type RunFault = z.infer<typeof RunFault>;

/** `+12%`: a joined board's predicted gain as the terminal, the Run view and reports say it. */
export const gainText = (gain: number): string =>
  `${gain >= 0 ? '+' : ''}${Math.round(gain * 100)}%`;

/** What changed, in a few words: "board joined: pi4-1, +12% predicted", "pi3-3 lost (cut)". */
export function describeChange(f: RunFault): string {
  const cause = f.cause ? ` (${f.cause})` : '';
  switch (f.kind) {
    case 'lost':
      return `${f.device} lost${cause}`;
    case 'slowed':
      return `${f.device} ${f.slowdown}x slower${cause}`;
    case 'joined':
      return `board joined: ${f.device}, ${gainText(f.gain ?? 0)} predicted`;
    case 'back':
      return `${f.device} back`;
    case 'outage':
      return `this machine's link down`;
  }
}

/** A fault and the re-plan it brought, in one short line (the Reports view's list). */
export function faultLine(f: RunFault): string {
  if (f.kind === 'outage')
    return `this machine's link down ${faultWhen(f)}: the run paused${f.recoveryS !== null ? `, went on after ${f.recoveryS.toFixed(1)} s` : ''}`;
  const what = `${describeChange(f)} ${faultWhen(f)}`;
  return f.plan
    ? `${what}: re-planned for ${f.plan.predictedIps.toFixed(2)} IPS on ${f.plan.devices.length} boards`
    : what;
}

/** When a fault came, in words (the terminal, the Run view and the reports say it alike). */
export function faultWhen(f: Pick<RunFault, 'phase' | 'at'>): string {
  const at = `at ${f.at.toFixed(1)} s`;
  switch (f.phase) {
    case 'connect':
      return 'while connecting';
    case 'deploy':
      return 'while the boards loaded their parts';
    case 'replan':
      return `${at}, during a re-plan's redeployment`;
    case 'drain':
      return `${at}, while the last frames drained`;
    case 'run':
      return at;
  }
}

/** The stretch IPS and energy per inference are measured over, in seconds since the first frame. */
export const RunWindow = z.object({
  fromS: z.number(),
  toS: z.number(),
  seconds: z.number(),
  frames: z.number().int(),
});
export type RunWindow = z.infer<typeof RunWindow>;

/** How many runs of one configuration a repeated set may have (`--repeat`, the Run view's Repeat). */
const REPEAT_RANGE = 'must be a whole number of runs from 1 to 100';
export const RepeatCount = z
  .number({ error: REPEAT_RANGE })
  .int(REPEAT_RANGE)
  .min(1, REPEAT_RANGE)
  .max(100, REPEAT_RANGE);

/** One of several runs of the same configuration (`mchair run --repeat N`): their set, its order. */
export const RunRepeat = z.object({
  set: RunId,
  index: z.number().int().min(1),
  of: z.number().int().min(2),
});
export type RunRepeat = z.infer<typeof RunRepeat>;

/**
 * The process that records a run: several programs share one data folder (the app or serve beside
 * a CLI run), so each shows another's run with its owner, and a run whose owner died is marked
 * failed the next time any of them reads it.
 */
export const RunOwner = z.object({
  pid: z.number().int().positive(),
  /** "mchair run", "mchair serve", "the desktop app". */
  program: z.string(),
  host: z.string(),
});
export type RunOwner = z.infer<typeof RunOwner>;

/** "mchair run (pid 4242 on lab-laptop)": how a record's owner is named wherever it is shown. */
export function describeOwner(owner: RunOwner): string {
  return `${owner.program} (pid ${owner.pid} on ${owner.host})`;
}

export const RunSummary = z.object({
  id: RunId,
  kind: z.string(),
  model: z.string(),
  state: RunState,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  frames: z.number().int(),
  completed: z.number().int(),
  /** Over the measured window; null while running, or when the run was too short for one. */
  ips: z.number().nullable(),
  window: RunWindow.nullable().optional(),
  /** Why a finished run has no window (too few frames), in words. */
  shortfall: z.string().nullable().optional(),
  maxAbsDiff: z.number().nullable(),
  message: z.string().nullable(),
  /** Present when the run was metered (or its power emulated). */
  energy: RunEnergy.optional(),
  /** Board failures during the run, in order (absent when there were none). */
  faults: z.array(RunFault).optional(),
  /** Present when the run is one of a repeated set. */
  repeat: RunRepeat.optional(),
  /** Who records it (absent in runs recorded before owners were). */
  owner: RunOwner.optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;
