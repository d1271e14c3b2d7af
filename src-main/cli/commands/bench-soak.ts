// `mchair bench soak [--minutes 30] [--devices 12] [--stages 3] [--fps 0] [--json]`: the long
// run of issue 9 (see scenarios/soak.ts). Exits 1 when a process grew more than 10% after warm-up,
// a frame was lost or duplicated, or an agent carried nothing, so scripts and CI can rely on it.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/index';
import { runSoak, SOAK_DEFAULTS, type SoakFigures } from '../../scenarios/soak';
import { action, withCommonOptions } from '../framework';

/** Issue 9's bound on resident-memory growth after warm-up. */
export const MAX_RSS_GROWTH_PCT = 10;

const Options = z.object({
  minutes: z.coerce
    .number()
    .min(0.5)
    .max(24 * 60)
    .default(SOAK_DEFAULTS.minutes),
  devices: z.coerce.number().int().min(1).max(64).default(SOAK_DEFAULTS.devices),
  stages: z.coerce.number().int().min(1).max(16).default(SOAK_DEFAULTS.stages),
  fps: z.coerce.number().min(0).max(100_000).default(SOAK_DEFAULTS.fps),
});

/** Why the soak failed, one line each; empty when it passed. */
export function soakFailures(f: SoakFigures): string[] {
  const out: string[] = [];
  const w = f.rss.worst;
  if (!(w.growthPct <= MAX_RSS_GROWTH_PCT))
    out.push(
      `${w.id} grew ${w.growthPct.toFixed(1)}% after warm-up (at most ${MAX_RSS_GROWTH_PCT}%)`,
    );
  if (f.frames.lost > 0 || f.frames.duplicated > 0)
    out.push(`${f.frames.lost} frames lost, ${f.frames.duplicated} duplicated`);
  if (f.idle.length > 0) out.push(`agents without traffic: ${f.idle.join(', ')}`);
  return out;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(0);

function present(r: SoakFigures): string {
  return [
    `${r.minutes} min, ${r.devices} agents in stages ${r.stages.map((s) => s.length).join('+')}: ` +
      `${r.frames.completed} of ${r.frames.sent} frames, lost ${r.frames.lost}, duplicated ${r.frames.duplicated}, ` +
      `${r.fps.toFixed(1)} frames/s after ${r.warmupS} s warm-up`,
    ...r.rss.processes.map(
      (p) => `  ${p.id.padEnd(12)} ${mb(p.warm)} -> ${mb(p.end)} MB (${p.growthPct.toFixed(1)}%)`,
    ),
    `worst: ${r.rss.worst.id} ${r.rss.worst.growthPct.toFixed(1)}%`,
  ].join('\n');
}

export function registerSoak(bench: Command): void {
  withCommonOptions(
    bench
      .command('soak')
      .description('a long no-op run across a virtual farm: resident memory growth and lost frames')
      .option('--minutes <m>', 'how long to feed frames', String(SOAK_DEFAULTS.minutes))
      .option('--devices <n>', 'agents in the virtual farm', String(SOAK_DEFAULTS.devices))
      .option(
        '--stages <n>',
        'pipeline stages (devices split among them)',
        String(SOAK_DEFAULTS.stages),
      )
      .option(
        '--fps <n>',
        'frames offered per second (0: as fast as credits allow)',
        String(SOAK_DEFAULTS.fps),
      ),
  ).action(
    action(async (ctx) => {
      const f = await runSoak({ ...ctx.options(Options), log: ctx.log });
      const failures = soakFailures(f);
      const result = { ...f, ok: failures.length === 0, failures };
      if (failures.length === 0) return result;
      // The figures are printed either way (a failed soak is still a measurement), then the
      // failure goes the usual way: one line on stderr, exit 1.
      process.stdout.write(`${ctx.json ? JSON.stringify(result) : present(result)}\n`);
      throw new AppError('SOAK_FAILED', failures.join('; '));
    }, present),
  );
}
