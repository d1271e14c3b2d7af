// The walking skeleton behind the Run view's Demo and `mchair demo`: started, and answered at
// once with its id (the view follows its events), or once it has ended with its figures.
import { AppError, type DemoSkeleton } from '../contract/index';
import type { Logger } from '../log';
import type { ExecuteOutcome } from '../runtime/execute';
import type { LiveRun } from '../runtime/liveRun';
import { startDemoRun } from '../scenarios/demo';
import type { EventBus } from '../shared/events';
import type { Handlers } from './dispatch';

export function demoHandlers(o: {
  dataDir: string;
  log: Logger;
  events: EventBus;
  live: Map<string, LiveRun>;
}): Pick<Handlers, 'demo/start'> {
  return {
    'demo/start': async ({ frames, wait }) => {
      let figures: ExecuteOutcome | null = null;
      const run = await startDemoRun({
        frames,
        dataDir: o.dataDir,
        log: o.log,
        events: o.events,
        onFigures: (f) => (figures = f),
      });
      o.live.set(run.id, run);
      void run.done.finally(() => o.live.delete(run.id));
      if (!wait) return { runId: run.id };
      const summary = await run.done;
      return { runId: run.id, skeleton: skeletonOf(summary, figures) };
    },
  };
}

function skeletonOf(summary: Awaited<LiveRun['done']>, f: ExecuteOutcome | null): DemoSkeleton {
  if (summary.state === 'failed' || !f)
    throw new AppError('DEMO_FAILED', summary.message ?? 'the demo run failed');
  return {
    runId: summary.id,
    state: summary.state,
    frames: { sent: f.sent, completed: f.completed, lost: f.lost, duplicated: f.duplicated },
    fps: f.ips,
    maxAbsDiff: f.maxAbsDiff ?? 0,
    latencyMs: f.latencyMs,
    devices: f.devices,
  };
}
