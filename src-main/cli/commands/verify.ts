// `mchair verify`: partition a model, run random frames through the whole model and through the
// parts with onnxruntime, print the largest difference, and exit 1 above the tolerance.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/errors';
import { DEFAULT_TOLERANCE, FLOAT16_TOLERANCE, type VerifyReport } from '../../model/verify';
import { action, withCommonOptions } from '../framework';
import { cutsOrPlan, SpecFlags, withSpecOptions } from './partition';

function present(r: VerifyReport): string {
  return [
    `${r.model}: ${r.stages} stages, ${r.parts} parts, ${r.frames} random frames`,
    `max |difference| ${r.maxAbsDiff.toExponential(3)}, relative ${r.maxRelDiff.toExponential(3)} (tolerance ${r.tolerance})`,
    r.ok
      ? 'OK: the parts reproduce the whole model'
      : 'MISMATCH: the parts do not reproduce the whole model',
  ].join('\n');
}

export function registerVerify(program: Command): void {
  withCommonOptions(
    withSpecOptions(
      program
        .command('verify')
        .description(
          'check that the partitions reproduce the whole model (onnxruntime, random frames)',
        )
        .option('--frames <n>', 'random frames to compare', '3')
        .option(
          '--tolerance <x>',
          `largest relative difference allowed (default: ${DEFAULT_TOLERANCE}, ${FLOAT16_TOLERANCE} for a float16 model)`,
        )
        .option('--out <dir>', 'keep the partitions in this folder'),
    ),
  ).action(
    action(async (ctx) => {
      const flags = ctx.options(
        SpecFlags.extend({
          frames: z.coerce.number().int().min(1).max(1000),
          tolerance: z.coerce.number().positive().optional(),
          out: z.string().optional(),
        }),
      );
      const { cuts, splits } = await cutsOrPlan(ctx, flags);
      const off = ctx.core.on('run/say', (e) => ctx.say(e.line));
      const report = await ctx.core
        .call('models/verify', {
          model: flags.model,
          seed: flags.seed,
          ...(flags.plan ? { plan: flags.plan } : { cuts, splits }),
          frames: flags.frames,
          ...(flags.tolerance !== undefined ? { tolerance: flags.tolerance } : {}),
          ...(flags.out !== undefined ? { out: flags.out } : {}),
        })
        .finally(off);
      if (!report.ok) {
        // The report is still the command's result: print it, then fail.
        process.stdout.write(ctx.json ? `${JSON.stringify(report)}\n` : `${present(report)}\n`);
        throw new AppError(
          'PARTITION_MISMATCH',
          `the partitions differ from the whole model by ${report.maxRelDiff.toExponential(3)} (relative), above the tolerance ${report.tolerance}`,
        );
      }
      return report;
    }, present),
  );
}
