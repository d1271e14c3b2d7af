// One run from deployment to figures, shared by `mchair demo`, `mchair run` and the tests: it
// drives a Coordinator, checks results against the whole model when asked, and records metrics
// and results in the run store as they come.
import type { RunMetrics } from '../contract/run';
import type { EventBus } from '../core/events';
import type { Logger } from '../log';
import type { RunRecorder } from '../store/runs';
import type { Link } from '../../remote-agent/src/medium';
import type { TlsMaterial } from '../../remote-agent/src/protocol/endpoint';
import type { WireTensor } from '../../remote-agent/src/protocol/schema';
import { type ResultChecker, top1 } from './check';
import { Coordinator, type FarmAgent, type RunOutcome, type RunPlan } from './coordinator';
import type { FrameSource } from './source';

/** A result differing from the whole model by this much or more counts as mismatched. */
export const CHECK_TOLERANCE = 1e-5;

export interface ExecuteOptions {
  runId: string;
  plan: RunPlan;
  agents: FarmAgent[];
  identity: { id: string; tls: TlsMaterial };
  sinkHost: string;
  source: FrameSource;
  frames: number;
  window: number;
  link?: Link | null;
  checker: ResultChecker | null;
  recorder: RunRecorder | null;
  events: EventBus | null;
  log: Logger;
  /** Board failures are survived (see CoordinatorOptions.survive and runtime/faults.ts). */
  survive?: boolean;
  /** Called once deployed, before the first frame: lets a caller stop the run. */
  onStarted?(c: Coordinator): void | Promise<void>;
  /** Sees every metrics sample (the run's emulated power follows utilisation). */
  onMetrics?(m: RunMetrics): void;
  /** Sees every result's model output, in frame order (the app's live preview). */
  onOutput?(frameId: number, output: WireTensor): void;
}

export interface ExecuteOutcome extends RunOutcome {
  /** Largest |farm - whole model| over all results; null without a check. */
  maxAbsDiff: number | null;
  mismatched: number;
}

export async function executeRun(o: ExecuteOptions): Promise<ExecuteOutcome> {
  let maxAbsDiff = 0;
  let mismatched = 0;
  const output = o.plan.manifest.output;
  const coordinator = new Coordinator({
    runId: o.runId,
    plan: o.plan,
    agents: o.agents,
    identity: o.identity,
    sinkHost: o.sinkHost,
    source: o.source,
    frames: o.frames,
    window: o.window,
    link: o.link ?? null,
    log: o.log,
    survive: o.survive ?? false,
    onMetrics: (m) => {
      o.recorder?.metrics(m);
      o.onMetrics?.(m);
      o.events?.emit('run/metrics', m);
    },
    onResult: async (frameId, outputs, latencyMs) => {
      let diff: number | null = null;
      if (o.checker) {
        diff = await o.checker.maxAbsDiff(await o.source.frame(frameId), outputs);
        if (!(diff < CHECK_TOLERANCE)) mismatched++;
        maxAbsDiff = Math.max(maxAbsDiff, diff);
      }
      const out = outputs.find((t) => t.name === output);
      o.recorder?.result({
        frameId,
        latencyMs,
        top1: out && out.dtype === 'float32' ? top1(out) : null,
        maxAbsDiff: diff,
      });
      if (out) o.onOutput?.(frameId, out);
    },
  });
  try {
    await coordinator.deploy();
    await o.onStarted?.(coordinator);
    const outcome = await coordinator.run();
    return { ...outcome, maxAbsDiff: o.checker ? maxAbsDiff : null, mismatched };
  } finally {
    await coordinator.close();
  }
}
