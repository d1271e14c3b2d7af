// `mchair run --model NAME|FILE (--emulate SPEC | --farm FILE | --devices NAMES) --plan
// FILE|auto|paper-N [--frames N] [--check] [--window N] [--repeat N] [--json]`: one recorded run on
// a farm (see runtime/run.ts), or N of them with the spread of their figures; --devices runs on the
// inventory's provisioned boards, over SSH.
import type { Command } from 'commander';
import { z } from 'zod';
import { PowerFlags, withPowerOptions } from '../../power/index';
import { describeFault } from '../../runtime/supervise';
import type { RunReport } from '../../contract/index';
import { action, RepeatFlag, withCommonOptions } from '../framework';
import { untilRunEnds } from '../follow';
import { measuredLines } from '../measured';
import { repeatedFigures, spreadOfRuns } from '../../contract/spread';
import { runFarmFromFlags, withFarmOptions } from './farmFlags';

const Options = z.object({
  model: z.string({ error: 'is required (a zoo or library model, or an ONNX file)' }).min(1),
  plan: z
    .string({ error: 'is required (a plan file, auto, paper-5, paper-6, paper-9 or paper-11)' })
    .min(1),
  frames: z.coerce.number().int().min(1).max(10_000_000).default(200),
  window: z.coerce.number().int().min(1).max(64).default(2),
  check: z.boolean().default(false),
  images: z.string().min(1).optional(),
  chaos: z.string().min(1).optional(),
  outageLimit: z.coerce.number().min(1).max(86_400).optional(),
  savedMeters: z.boolean().default(false),
  repeat: RepeatFlag,
});

const fmt = (v: number | null, digits = 2) =>
  v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(digits);

function present(r: RunReport): string {
  const tag = r.emulated ? ' (emulated)' : '';
  return [
    ...measuredLines(r),
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
    ...r.faults.map((f) => describeFault(f)),
    `run                 ${r.runId} (${r.state})`,
  ].join('\n');
}

/** Several runs of one configuration and the spread of their figures (--repeat N). */
interface RepeatedRuns {
  set: string;
  runs: RunReport[];
  spread: ReturnType<typeof spreadOfRuns>;
}

const SPREAD_NAMES = {
  ips: 'IPS',
  staticJ: 'static J/inference',
  dynamicJ: 'dynamic J/inference',
  totalJ: 'total J/inference',
} as const;

function presentRepeated(r: RepeatedRuns): string {
  const spread = Object.entries(r.spread).map(([figure, s]) => {
    const name = SPREAD_NAMES[figure as keyof typeof SPREAD_NAMES].padEnd(20);
    return s
      ? `${name}mean ${fmt(s.mean, 3)}  sd ${fmt(s.sd, 3)}  min ${fmt(s.min, 3)}  max ${fmt(s.max, 3)}  (${s.n} of ${r.runs.length} runs)`
      : `${name}n/a (no run had it)`;
  });
  const tag = r.runs.some((x) => x.emulated) ? ' (emulated)' : '';
  return [
    ...r.runs.map((x, i) => `--- run ${i + 1} of ${r.runs.length}\n${present(x)}`),
    `--- set ${r.set}, over ${r.runs.length} runs${tag}: ${r.runs.map((x) => x.runId).join(' ')}`,
    ...spread,
  ].join('\n');
}

export function registerRun(program: Command): void {
  const cmd = withCommonOptions(
    program
      .command('run')
      .description('run a model on a farm by a plan, and measure it')
      .option('--model <model>', 'zoo or library model (mchair model list), or an ONNX file')
      .option(
        '--plan <plan>',
        'plan file, auto (the planner), or a paper preset: paper-5, paper-6, paper-9, paper-11',
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
        '--repeat <n>',
        'run the same configuration n times, one recorded run each, and print the spread',
        '1',
      )
      .option(
        '--chaos <faults>',
        'inject board faults, e.g. kill:pi3-2@3,cut:pi3-4@5,slow:pi3-1@4:5,back:pi3-2@9 (device@seconds[:factor]), kill:pi3-2@deploy (at connect, deploy, first-result, replan or drain), outage@3:3 (every board silent for 3 s)',
      )
      .option(
        '--outage-limit <s>',
        "seconds the run waits, every board silent, for this machine's link before it ends (default 60)",
      ),
  );
  withFarmOptions(withPowerOptions(cmd), 'run').action(
    action(
      async (ctx) => {
        const o = ctx.options(Options);
        const farm = await runFarmFromFlags(ctx, true);
        const { set, reports } = await untilRunEnds(
          ctx,
          () =>
            ctx.core.call('run/start', {
              model: o.model,
              plan: o.plan,
              farm,
              frames: o.frames,
              window: o.window,
              check: o.check,
              repeat: o.repeat,
              ...(o.chaos ? { chaos: o.chaos } : {}),
              ...(o.outageLimit !== undefined ? { outageLimitS: o.outageLimit } : {}),
              ...(o.images ? { images: o.images } : {}),
              meters: ctx.options(PowerFlags),
              savedMeters: o.savedMeters,
              wait: true,
            }),
          [
            ctx.core.on('run/say', (e) => ctx.say(e.line)),
            ctx.core.on('run/progress', (p) =>
              ctx.say(
                `  ${p.completed}/${o.frames} frames, ${p.recorded} recorded${p.checked === null ? '' : `, ${p.checked} checked`}`,
              ),
            ),
          ],
        );
        const runs = reports ?? [];
        if (!set) return runs[0]!;
        return { set, runs, spread: spreadOfRuns(runs.map(repeatedFigures)) };
      },
      (r) => ('spread' in r ? presentRepeated(r) : present(r)),
    ),
  );
}
