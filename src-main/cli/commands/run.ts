// `mchair run --model FILE|NAME (--emulate SPEC | --farm FILE | --devices NAMES) --plan
// FILE|auto|paper-N [--frames N] [--check] [--window N] [--json]`: one recorded run on a farm (see
// runtime/run.ts); --devices runs on the inventory's provisioned boards, over SSH.
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '../../contract/index';
import { PowerFlags, withPowerOptions } from '../../power/index';
import { imageFolderSource } from '../../runtime/images';
import { runModel, type RunReport } from '../../runtime/run';
import { describeFault } from '../../runtime/supervise';
import { withSavedMeters } from '../../store/meters';
import { ModelLibrary } from '../../core/modelLibrary';
import { action, withCommonOptions } from '../framework';
import { boardsFor, withInventoryOption, withTrustOption } from './devices';

const Options = z.object({
  model: z.string({ error: 'is required (a zoo name or an ONNX file)' }).min(1),
  plan: z
    .string({ error: 'is required (a plan file, auto, paper-5, paper-6, paper-9 or paper-11)' })
    .min(1),
  emulate: z.string().min(1).optional(),
  farm: z.string().min(1).optional(),
  /** Inventory boards, comma-separated; "all" for every one. */
  devices: z
    .string()
    .regex(/^[A-Za-z0-9._,-]+$/, 'is not a comma-separated list of device names')
    .optional(),
  frames: z.coerce.number().int().min(1).max(10_000_000).default(200),
  window: z.coerce.number().int().min(1).max(64).default(2),
  check: z.boolean().default(false),
  images: z.string().min(1).optional(),
  chaos: z.string().min(1).optional(),
  savedMeters: z.boolean().default(false),
});

const fmt = (v: number | null, digits = 2) =>
  v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(digits);

function present(r: RunReport): string {
  const tag = r.emulated ? ' (emulated)' : '';
  return [
    `IPS                 ${fmt(r.ips)}${tag}   predicted ${fmt(r.predictedIps)}`,
    `latency ms          p50 ${fmt(r.latencyMs.p50, 1)}  p95 ${fmt(r.latencyMs.p95, 1)}  p99 ${fmt(r.latencyMs.p99, 1)}${tag}`,
    `frames              ${r.frames.completed}/${r.frames.sent} completed, ${r.frames.lost} lost, ${r.frames.duplicated} duplicated, ${r.frames.mismatched} mismatched`,
    ...(r.maxAbsDiff === null ? [] : [`largest difference  ${r.maxAbsDiff.toExponential(2)}`]),
    ...r.devices.map(
      (d) =>
        `${d.id.padEnd(20)}${(d.profile ?? '').padEnd(10)} utilisation ${(100 * d.utilisation).toFixed(0).padStart(3)}%  compute ${d.computeMs.toFixed(1)} ms/frame${d.emulated ? '  (emulated)' : ''}`,
    ),
    ...(r.agentsLeft.length > 0
      ? [`left the run        ${r.agentsLeft.join(', ')} (no frames were sent after that)`]
      : []),
    ...(r.emulationOverruns > 0
      ? [
          `warning             ${r.emulationOverruns} frames took longer on this machine than on the emulated boards; the emulated figures are pessimistic`,
        ]
      : []),
    ...(r.energy?.perInferenceJ
      ? [
          `energy J/inference  static ${fmt(r.energy.perInferenceJ.static)}  dynamic ${fmt(r.energy.perInferenceJ.dynamic)}  total ${fmt(r.energy.perInferenceJ.total)}${r.energy.emulated ? ' (emulated)' : ''}`,
        ]
      : []),
    ...r.faults.map((f) => describeFault(f)),
    `run                 ${r.runId} (${r.state})`,
  ].join('\n');
}

export function registerRun(program: Command): void {
  const cmd = withCommonOptions(
    program
      .command('run')
      .description('run a model on a farm by a plan, and measure it')
      .option('--model <model>', 'zoo name or ONNX file')
      .option(
        '--plan <plan>',
        'plan file, auto (the planner), or a paper preset: paper-5, paper-6, paper-9, paper-11',
      )
      .option('--emulate <spec>', 'start an emulated farm for this run, e.g. pi3:6 or pi3:6,pi4:2')
      .option('--farm <file>', 'farm file (e.g. from "mchair farm up")')
      .option(
        '--devices <names>',
        'run on these provisioned boards of the inventory (comma-separated, or all); parts go to them over SSH',
      )
      .option('--frames <n>', 'frames to send', '200')
      .option('--window <n>', 'frames in flight per replica', '2')
      .option(
        '--images <dir>',
        'frames from a folder of JPEG/PNG images (default: synthetic frames)',
      )
      .option('--check', 'compare every result with the whole model run locally')
      .option('--saved-meters', "measure with the meters saved in the app's Settings too")
      .option(
        '--chaos <faults>',
        'inject board faults, e.g. kill:pi3-2@3,cut:pi3-4@5,slow:pi3-1@4:5,back:pi3-2@9 (device@seconds[:factor])',
      ),
  );
  withTrustOption(withInventoryOption(withPowerOptions(cmd))).action(
    action(async (ctx) => {
      const o = ctx.options(Options);
      if ([o.emulate, o.farm, o.devices].filter((f) => f !== undefined).length !== 1)
        throw new InputError('give exactly one of --emulate SPEC, --farm FILE and --devices NAMES');
      const report = await runModel({
        model: await new ModelLibrary(ctx.dataDir).locate(o.model, { paths: true }),
        plan: o.plan,
        emulate: o.emulate,
        farmFile: o.farm,
        ...(o.devices === undefined ? {} : { boards: await boardsFor(ctx, o.devices) }),
        frames: o.frames,
        window: o.window,
        check: o.check,
        ...(o.chaos ? { chaos: o.chaos } : {}),
        ...(o.images
          ? {
              source: (input: Parameters<typeof imageFolderSource>[1]) =>
                imageFolderSource(o.images as string, input),
            }
          : {}),
        dataDir: ctx.dataDir,
        log: ctx.log,
        say: ctx.say,
        onProgress: (p) =>
          ctx.say(
            `  ${p.completed}/${o.frames} frames, ${p.recorded} recorded${p.checked === null ? '' : `, ${p.checked} checked`}`,
          ),
        power: o.savedMeters
          ? await withSavedMeters(ctx.dataDir, ctx.options(PowerFlags))
          : ctx.options(PowerFlags),
      });
      return report;
    }, present),
  );
}
