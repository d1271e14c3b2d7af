// `mchair demo [--skeleton] [--frames N] [--seconds S] [--repeat N] [--json]`: the README's main
// job. First the walking skeleton (scenarios/demo.ts: tiny-cnn in 2 stages on 2 local agents, every result
// checked against the uncut model), then the paper's experiments on the virtual farm
// (demo/paper: scenarios/paper-demo.ts) as a table beside the published figures, the runs
// recorded in the store with an HTML summary, and last the kitten recognised by the trained
// SqueezeNet 1.1 across that farm (scenarios/recognitionDemo.ts). --skeleton stops after the
// first part. Both parts go through the core; their progress comes as its events.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, type DemoSkeleton } from '../../contract/index';
import type { PaperDemo } from '../../contract/paperDemo';
import { paperTableText, type PaperTableRow } from '../../reports/paper-table';
import { action, RepeatFlag, withCommonOptions, type ActionContext } from '../framework';
import { untilRunEnds } from '../follow';

const Options = z.object({
  frames: z.coerce.number().int().min(1).max(100_000).default(200),
  seconds: z.coerce.number().min(1).max(3600).default(6),
  skeleton: z.boolean().default(false),
  repeat: RepeatFlag,
});

/** The walking skeleton, through the core (demo/start), its progress from the run's metrics. */
async function skeleton(ctx: ActionContext, frames: number): Promise<DemoSkeleton> {
  const { skeleton: figures } = await untilRunEnds(
    ctx,
    () => ctx.core.call('demo/start', { frames, wait: true }),
    [
      ctx.core.on('run/state', (e) => {
        if (e.state === 'starting')
          ctx.say(`run ${e.runId}: ${frames} frames through 2 agents on 127.0.0.1`);
      }),
      ctx.core.on('run/metrics', (p) =>
        ctx.say(`  ${p.completed}/${frames} frames, ${p.ips.toFixed(1)} frames/s`),
      ),
    ],
  );
  // wait: true answers with the figures, or fails with why there are none.
  return figures as DemoSkeleton;
}

const skeletonText = (r: DemoSkeleton): string =>
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
  ].join('\n');

/** The paper's runs and the kitten, through the core (demo/paper), its lines as it says them. */
async function paper(ctx: ActionContext, seconds: number, repeat: number): Promise<PaperDemo> {
  const off = ctx.core.on('run/say', (e) => ctx.say(e.line));
  try {
    return await ctx.core.call('demo/paper', { seconds, repeat });
  } finally {
    off();
  }
}

const paperText = (p: PaperDemo, rows: readonly PaperTableRow[]): string =>
  [
    paperTableText(rows),
    '',
    `runs                ${p.runs.map((r) => r.runId ?? 'failed').join(' ')}`,
    `HTML summary        ${p.report ?? 'none (no run finished)'}`,
    `wall time           ${p.wallSeconds.toFixed(0)} s (farm start ${p.farmStartSeconds.toFixed(1)} s)`,
    ...(p.recognition ? ['', `recognition: ${p.recognition.line}`] : []),
  ].join('\n');

export function registerDemo(program: Command): void {
  withCommonOptions(
    program
      .command('demo')
      .description(
        "walking skeleton (a small CNN in 2 stages on 2 local agents, every result checked), then the paper's runs on the virtual farm beside its published figures, then a photo recognised there by a trained SqueezeNet",
      )
      .option('--skeleton', 'run only the walking skeleton')
      .option('--frames <n>', "the skeleton's synthetic frames", '200')
      .option(
        '--seconds <s>',
        'measured seconds per paper run after warm-up (frames follow from each prediction)',
        '6',
      )
      .option(
        '--repeat <n>',
        "run each of the paper's cases n times and print the table with their spread (mean ± sd, min-max)",
        '1',
      ),
  ).action(
    action(
      async (ctx) => {
        const o = ctx.options(Options);
        const sk = await skeleton(ctx, o.frames);
        if (o.skeleton) return sk;
        ctx.say(
          `skeleton: ${sk.fps?.toFixed(1) ?? 'n/a'} frames/s, largest difference ${sk.maxAbsDiff.toExponential(2)}; now the paper's runs`,
        );
        const p = await paper(ctx, o.seconds, o.repeat);
        if (p.failed.length) {
          // The figures that did come in are worth seeing before the error.
          ctx.say(paperText(p, p.table));
          throw new AppError('DEMO_FAILED', `paper runs failed: ${p.failed.join('; ')}`);
        }
        return { skeleton: sk, paper: p };
      },
      (r) =>
        'skeleton' in r
          ? `${skeletonText(r.skeleton)}\n\n${paperText(r.paper, r.paper.table)}`
          : skeletonText(r),
    ),
  );
}
