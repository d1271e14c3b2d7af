// `mchair bench transport [--bytes 150528] [--frames N] [--window N] [--json]`: the data plane's
// own speed (see scenarios/bench.ts) -> {"fps","MBps"}.
import type { Command } from 'commander';
import { z } from 'zod';
import { benchTransport, DEFAULT_WINDOW } from '../../scenarios/bench';
import { action, withCommonOptions } from '../framework';
import { registerSoak } from './bench-soak';

const Options = z.object({
  bytes: z.coerce
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024 - 1024)
    .default(150_528),
  frames: z.coerce.number().int().min(10).max(10_000_000).default(5000),
  window: z.coerce.number().int().min(1).max(64).default(DEFAULT_WINDOW),
});

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('measure parts of the system');
  registerSoak(bench);
  withCommonOptions(
    bench
      .command('transport')
      .description('frames/s through one agent over the real protocol with TLS (a no-op stage)')
      .option('--bytes <n>', 'frame size in bytes', '150528')
      .option('--frames <n>', 'frames to send', '5000')
      .option('--window <n>', 'frames in flight', String(DEFAULT_WINDOW)),
  ).action(
    action(
      async (ctx) => {
        const o = ctx.options(Options);
        const f = await benchTransport({ ...o, log: ctx.log });
        return {
          fps: f.fps,
          MBps: f.MBps,
          frames: f.frames,
          bytes: f.bytes,
          window: f.window,
          rssBytes: f.rss,
        };
      },
      (r) =>
        `${r.fps.toFixed(0)} frames/s, ${r.MBps.toFixed(1)} MB/s (${r.frames} frames of ${r.bytes} B, window ${r.window})`,
    ),
  );
}
