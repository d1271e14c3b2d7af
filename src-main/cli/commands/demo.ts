// `mchair demo [--frames N] [--json]`: the walking skeleton end to end (see runtime/demo.ts).
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/index';
import { EventBus } from '../../core/events';
import type { ExecuteOutcome } from '../../runtime/execute';
import { startDemoRun } from '../../runtime/demo';
import { action, withCommonOptions } from '../framework';

const Options = z.object({
  frames: z.coerce.number().int().min(1).max(100_000).default(200),
});

export function registerDemo(program: Command): void {
  withCommonOptions(
    program
      .command('demo')
      .description('cut a small CNN into 2 stages, run it on 2 local agents, check every result')
      .option('--frames <n>', 'synthetic frames to send', '200'),
  ).action(
    action(
      async (ctx) => {
        const { frames } = ctx.options(Options);
        const events = new EventBus();
        let figures: ExecuteOutcome | null = null;
        events.subscribe((name, p) => {
          if (name === 'run/metrics' && 'completed' in p)
            ctx.say(`  ${p.completed}/${frames} frames, ${p.ips.toFixed(1)} frames/s`);
        });
        const run = await startDemoRun({
          frames,
          dataDir: ctx.dataDir,
          log: ctx.log,
          events,
          onFigures: (f) => (figures = f),
        });
        ctx.say(`run ${run.id}: ${frames} frames through 2 agents on 127.0.0.1`);
        const summary = await run.done;
        const f = figures as ExecuteOutcome | null;
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
      },
      (r) =>
        [
          `frames/s            ${r.fps === null ? 'n/a' : r.fps.toFixed(1)}`,
          `largest difference  ${r.maxAbsDiff.toExponential(2)} (must be < 1e-5)`,
          `frames              ${r.frames.completed}/${r.frames.sent} completed, ${r.frames.lost} lost, ${r.frames.duplicated} duplicated`,
          `latency ms          p50 ${r.latencyMs.p50.toFixed(1)}  p95 ${r.latencyMs.p95.toFixed(1)}  p99 ${r.latencyMs.p99.toFixed(1)}`,
          ...r.devices.map(
            (d) =>
              `${d.id.padEnd(20)}utilisation ${(100 * d.utilisation).toFixed(0)}%  compute ${d.computeMs.toFixed(1)} ms/frame`,
          ),
          `run                 ${r.runId}`,
        ].join('\n'),
    ),
  );
}
