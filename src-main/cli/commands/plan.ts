// `mchair plan`: the best plan of a CNN for a farm, with its prediction and the explanation (what
// limits it, what would raise it); or one of the paper's presets on the same farm. `--json`
// prints the plan document that `mchair partition --plan` and `mchair run --plan` read.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { PlanProgress } from '../../contract/lab';
import { linkSources, PlanObjective, rolesOf, type Plan } from '../../contract/plan';
import { PRESET_IDS } from '../../planner/presets';
import { action, withCommonOptions } from '../framework';
import { inventoryPath, withInventoryOption } from './boardFlags';

const Flags = z
  .object({
    model: z.string({ error: 'is required (a zoo name or an ONNX file)' }).min(1),
    devices: z.string().optional(),
    farm: z.string().optional(),
    objective: PlanObjective.default('ips'),
    maxLatency: z.coerce.number().positive().max(3_600_000).optional(),
    top: z.coerce.number().int().min(1).max(50).default(1),
    preset: z.enum(PRESET_IDS).optional(),
    out: z.string().min(1).optional(),
  })
  .refine((f) => (f.devices === undefined) !== (f.farm === undefined), {
    message: 'give either --devices (e.g. pi3:6) or --farm FILE',
    path: ['devices'],
  });

/** The plan document, with the search's alternatives when --top asked for them. */
type PlanOutput = Plan & {
  search: { method: string; millis: number; cpuMillis: number };
  alternatives: Array<{
    ips: number;
    latencyMs: number;
    stages: string;
    /** How it differs from the plan above (boards, stages, splits) and why it ranks lower. */
    differences: readonly string[];
    why: string;
  }>;
};

/** Searches longer than this show their progress on stderr, a line at most this often. */
const PROGRESS_AFTER_MS = 500;

/** The search's progress on stderr, once it has run long enough for someone to wonder. */
function progressLine(started: number): (p: PlanProgress) => void {
  let said = 0;
  return (p) => {
    const now = performance.now();
    if (now - started < PROGRESS_AFTER_MS || now - said < PROGRESS_AFTER_MS) return;
    said = now;
    process.stderr.write(
      `planning (${p.method}): step ${p.step} of about ${p.steps}, ${p.states} states, best ${p.bestIps.toFixed(2)} IPS, at most ${p.boundIps.toFixed(2)}\n`,
    );
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

function stageLine(s: Plan['stages'][number]): string {
  const parts = s.parts
    .map((p) => `${p.channels ? `[${p.channels[0]}:${p.channels[1]}] ` : ''}${p.devices.join(' ')}`)
    .join(' | ');
  return `  ${s.id}  ${s.firstLayer} .. ${s.lastLayer}${s.parts.length > 1 ? ` (split in ${s.parts.length})` : ''}: ${parts}`;
}

export function presentPlan(p: PlanOutput): string {
  const pr = p.prediction;
  const lines = [
    `${p.model}: ${p.origin} plan (${p.objective}; ${p.search.method === 'preset' ? 'preset' : `${p.search.method} search`} in ${p.search.millis.toFixed(0)} ms, ${p.search.cpuMillis.toFixed(0)} ms CPU; figures ${pr.basis})`,
    ...p.stages.map(stageLine),
    `predicted ${pr.ips.toFixed(2)} IPS, latency ${pr.latencyMs.toFixed(0)} ms, energy ${(pr.staticJ + pr.dynamicJ).toFixed(2)} J/inference (static ${pr.staticJ.toFixed(2)}, dynamic ${pr.dynamicJ.toFixed(2)}); farm compute bound ${pr.computeBoundIps.toFixed(2)} IPS`,
    `bottleneck: ${pr.bottleneck.why}`,
    ...pr.suggestions.map((s) => `  - ${s}`),
    ...pr.media.map(
      (m) =>
        `medium ${m.medium}: ${(m.bytesPerFrame / 1e3).toFixed(0)} kB per frame, ${pct(m.utilisation)} busy`,
    ),
    `links: ${linkSources(p) || 'not in this plan'}`,
    'device      profile     role    memory (budget)       util  profile from',
    ...p.devices.map((d) => {
      const role =
        rolesOf(d)
          .map((r) => r.part)
          .join('+') || 'idle';
      const memory = `${mib(d.memoryBytes)} (${mib(d.memoryBudgetBytes)})`;
      return `${d.device.padEnd(11)} ${d.profile.padEnd(11)} ${role.padEnd(7)} ${memory.padEnd(21)} ${pct(d.utilisation).padEnd(5)} ${d.profileSource}`;
    }),
    ...p.alternatives.flatMap((a, i) => [
      `alternative ${i + 1}: ${a.ips.toFixed(2)} IPS, ${a.latencyMs.toFixed(0)} ms: ${a.stages}`,
      `  ranks lower: ${a.why}`,
      `  differs: ${a.differences.join('; ')}`,
    ]),
  ];
  return lines.join('\n');
}

export function registerPlan(program: Command): void {
  withInventoryOption(
    withCommonOptions(
      program
        .command('plan')
        .description(
          'find the best plan of a CNN for a farm, predict it and explain its bottleneck',
        )
        .option(
          '--model <name|file>',
          'zoo model (alexnet-mc, alexnet, vgg16, tiny-cnn) or ONNX file',
        )
        .option('--devices <spec>', 'built-in devices, e.g. pi3:6 or pi3:6,pi4:2,tx2:1')
        .option(
          '--farm <file>',
          'farm file: {"devices":[{"id","profile","medium"?}], "media"?, "coordinator"?}',
        )
        .option('--objective <ips|latency|energy>', 'what "best" means', 'ips')
        .option('--max-latency <ms>', 'refuse plans slower than this from frame to result')
        .option('--top <k>', 'also list the next best plans', '1')
        .option(
          '--preset <id>',
          `the paper's distribution instead of a search (${PRESET_IDS.join(', ')})`,
        )
        .option('--out <file>', 'also write the plan document to this file'),
    ),
  ).action(
    action(async (ctx): Promise<PlanOutput> => {
      const f = ctx.options(Flags);
      const started = performance.now();
      const stop = ctx.core.on('plan/progress', progressLine(started));
      let made;
      try {
        made = await ctx.core.call('plan/make', {
          model: f.model,
          farm:
            f.devices !== undefined
              ? { kind: 'virtual', spec: f.devices }
              : { kind: 'file', path: f.farm! },
          objective: f.objective,
          top: f.top,
          ...(f.maxLatency !== undefined ? { maxLatencyMs: f.maxLatency } : {}),
          ...(f.preset ? { preset: f.preset } : {}),
          presets: false,
          inventory: inventoryPath(ctx),
        });
      } finally {
        stop();
      }
      // Each board's measured profile where `mchair profile` kept one; the rest built in.
      for (const note of made.notes) ctx.say(note);
      const [plan, ...rest] = made.plans as [Plan, ...Plan[]];
      const out: PlanOutput = {
        ...plan,
        search: { method: made.method, millis: made.millis, cpuMillis: made.cpuMillis },
        alternatives: rest.map((p, i) => ({
          ips: p.prediction.ips,
          latencyMs: p.prediction.latencyMs,
          stages: p.stages
            .map(
              (s) =>
                `${s.firstLayer}..${s.lastLayer} x${s.parts.map((q) => q.devices.length).join('+')}`,
            )
            .join(' -> '),
          ...made.comparisons[i]!,
        })),
      };
      if (f.out) writeFileSync(f.out, `${JSON.stringify(plan, null, 2)}\n`);
      return out;
    }, presentPlan),
  );
}
