// Every event the core pushes to the renderer.
import { z } from 'zod';
import { PlanProgress } from './lab';
import { LivePower } from './livePower';
import { RunFrame } from './liveRun';
import { ProvisionProgress } from './provision';
import { ProfileProgress } from './profile';
import { DownloadProgress } from './download';
import { Plan } from './plan';
import { RunFault, RunId, RunMetrics, RunState } from './run';

export const events = {
  'run/metrics': RunMetrics,
  'run/state': z.object({ runId: RunId, state: RunState, message: z.string().nullable() }),
  /**
   * A board failed, slowed, came back or joined the farm; sent at detection and again once
   * recovered.
   */
  'run/fault': RunFault.extend({ runId: RunId }),
  /**
   * The plan a run follows: once it starts and after every re-plan (a board lost, back or joined),
   * with each tensor's bytes per frame for the plan diagram.
   */
  'run/plan': z.object({
    runId: RunId,
    plan: Plan,
    tensorBytes: z.record(z.string(), z.number()),
  }),
  /**
   * Once a second of a run: results counted so far, those recorded (in frame order) and, for a
   * checked run, how many of them are checked.
   */
  'run/progress': z.object({
    runId: RunId,
    completed: z.number().int(),
    recorded: z.number().int(),
    checked: z.number().int().nullable(),
  }),
  /**
   * A line a command says as it goes: a run getting ready and running (its plan, what each board
   * was sent; runId null before it has one, or for a whole set), a verification, a report being
   * written, the paper demo's runs and recognition.
   */
  'run/say': z.object({ runId: RunId.nullable(), line: z.string() }),
  /** An answered frame's top-5 classes and the page source's counters (a few per second). */
  'run/frame': RunFrame,
  /** Every meter's new samples and the running J per inference, every 250 ms of a metered run. */
  'run/power': LivePower,
  'provision/progress': ProvisionProgress,
  /** Boards being profiled: steps done of all, and the one under way. */
  'profile/progress': ProfileProgress,
  /** A model download under way: bytes, rate and time left, a few times a second. */
  'models/get-progress': DownloadProgress,
  /** A plan/make search under way, after each step of its programme. */
  'plan/progress': PlanProgress,
  /** A LAN scan under way: addresses tried so far of the subnet's. */
  'scan/progress': z.object({ done: z.number().int(), total: z.number().int() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]>;
export const eventNames = Object.keys(events) as EventName[];
