// One run from deployment to figures, shared by `mchair demo`, `mchair run` and the tests: it
// drives a Coordinator, records metrics and results in the run store as they are counted, and
// checks results against the whole model behind the run when asked (runtime/checkBehind.ts), so
// a coordinator killed mid-run has stored every result it counted, checked or not.
import type { RunMetrics } from '../contract/run';
import type { EventBus } from '../shared/events';
import type { Logger } from '../log';
import type { RunRecorder } from '../store/runs';
import {
  type Link,
  type TlsMaterial,
  type WireTensor,
} from '../../remote-agent/src/protocol/index';
import { type ResultChecker, rankedClasses } from './check';
import { CheckBehind } from './checkBehind';
import { Coordinator, type RunOutcome } from './coordinator';
import type { Board } from '../shared/board';
import type { RunPlan } from './deployment';
import { BoardsLostError } from './deploy';
import type { FrameSource } from './source';
import type { Supervision } from './supervise';

/** A result differing from the whole model by this much or more counts as mismatched. */
export const CHECK_TOLERANCE = 1e-5;

export interface ExecuteOptions {
  runId: string;
  plan: RunPlan;
  agents: Board[];
  identity: { id: string; tls: TlsMaterial };
  sinkHost: string;
  source: FrameSource;
  frames: number;
  window: number;
  link?: Link | null;
  checker: ResultChecker | null;
  recorder: RunRecorder | null;
  /** The model's class names: results are recorded with their top-1 label and probability. */
  labels?: readonly string[];
  events: EventBus | null;
  log: Logger;
  /**
   * Board failures are survived (see CoordinatorOptions.survive and runtime/faults.ts): the
   * supervision made for the run before it connects re-plans around them at any moment.
   */
  supervise?(c: Coordinator): Supervision;
  /** Called once deployed, before the first frame: lets a caller stop the run. */
  onStarted?(c: Coordinator): void | Promise<void>;
  /** Sees every metrics sample (the run's emulated power follows utilisation). */
  onMetrics?(m: RunMetrics): void;
  /** Sees every result's model output, in frame order (the app's live preview). */
  onOutput?(frameId: number, output: WireTensor): void;
  /** Called once the checks exist (null without a check): lets a caller show their progress. */
  onChecks?(checks: CheckBehind | null): void;
}

export interface ExecuteOutcome extends RunOutcome {
  /** Largest |farm - whole model| over all results; null without a check. */
  maxAbsDiff: number | null;
  mismatched: number;
}

export async function executeRun(o: ExecuteOptions): Promise<ExecuteOutcome> {
  const output = o.plan.output;
  const checks = o.checker
    ? new CheckBehind(o.checker, o.source, CHECK_TOLERANCE, (frameId, maxAbsDiff) =>
        o.recorder?.check({ frameId, maxAbsDiff }),
      )
    : null;
  o.onChecks?.(checks);
  let supervision: Supervision | null = null;
  const coordinator = new Coordinator({
    runId: o.runId,
    plan: o.plan,
    agents: o.agents,
    identity: o.identity,
    sinkHost: o.sinkHost,
    source: checks ? checks.gate(o.source) : o.source,
    frames: o.frames,
    window: o.window,
    link: o.link ?? null,
    log: o.log,
    survive: o.supervise !== undefined,
    onPhase: async (phase) => supervision?.reached(phase),
    onMetrics: (m) => {
      o.recorder?.metrics(m);
      o.onMetrics?.(m);
      o.events?.emit('run/metrics', m);
    },
    onResult: (frameId, outputs, latencyMs) => {
      const out = outputs.find((t) => t.name === output);
      const best = out && out.dtype === 'float32' ? rankedClasses(out, 1, o.labels)[0] : undefined;
      o.recorder?.result({
        frameId,
        latencyMs,
        top1: best?.index ?? null,
        // With the model's labels the record says what the frame shows, as `mchair classify` would.
        ...(best && o.labels ? { label: best.label, probability: best.probability } : {}),
      });
      checks?.add(frameId, outputs);
      if (out) o.onOutput?.(frameId, out);
    },
  });
  supervision = o.supervise?.(coordinator) ?? null;
  try {
    await coordinator.deploy().catch(async (err: unknown) => {
      // Boards lost while the run connected or deployed: it goes on without them if it can.
      if (!(err instanceof BoardsLostError) || !supervision) throw err;
      await supervision.lose(err.boards);
    });
    supervision?.start();
    await o.onStarted?.(coordinator);
    const outcome = await coordinator.run();
    const verdict = checks ? await checks.drain() : null;
    return {
      ...outcome,
      maxAbsDiff: verdict?.maxAbsDiff ?? null,
      mismatched: verdict?.mismatched ?? 0,
    };
  } finally {
    await checks?.close();
    await coordinator.close();
  }
}
