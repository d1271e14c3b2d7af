// `mchair partition`: cut a model into stages (and split stages into parts) by flags or by the
// planner's plan, writing one standalone ONNX file per part and manifest.json.
import type { Command } from 'commander';
import { z } from 'zod';
import type { Manifest } from '../../contract/manifest';
import { action, collect, UsageError, withCommonOptions, type ActionContext } from '../framework';
import { Seed } from './model';

export const SpecFlags = z.object({
  model: z.string({ error: 'is required (an ONNX file or a zoo name)' }).min(1),
  cut: z.array(z.string()).default([]),
  split: z.array(z.string().regex(/^\d+:\d+$/, 'must be STAGE:PARTS, e.g. 1:2')).default([]),
  plan: z.string().optional(),
  seed: Seed,
});

/** Adds --model, --cut, --split, --plan and --seed to a command. */
export function withSpecOptions(cmd: Command): Command {
  return cmd
    .option('--model <model>', 'ONNX file or zoo name')
    .option(
      '--cut <tensors>',
      'cut tensor(s), comma-separated, in graph order (repeatable)',
      collect,
    )
    .option(
      '--split <stage:parts>',
      'split stage I into K parts along output channels (repeatable)',
      collect,
    )
    .option('--plan <file>', "the planner's plan.json instead of --cut/--split")
    .option('--seed <n>', 'weight seed for zoo models', '0');
}

/** The cuts and splits the flags give, none when --plan gives the stages instead. */
export function cutsFromFlags(flags: z.output<typeof SpecFlags>): {
  cuts: string[];
  splits: Array<{ stage: number; parts: number }>;
} {
  if (flags.plan && (flags.cut.length || flags.split.length))
    throw new UsageError('--plan: give either --plan or --cut/--split, not both');
  const cuts = flags.cut
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter(Boolean);
  const splits = flags.split.map((s) => {
    const [stage, parts] = s.split(':').map(Number) as [number, number];
    return { stage, parts };
  });
  return { cuts, splits };
}

/**
 * The cuts and splits the flags give, or none when --plan gives the stages; none at all is wrong
 * usage, answered with the cuts the model has (from the core).
 */
export async function cutsOrPlan(
  ctx: ActionContext,
  flags: z.output<typeof SpecFlags>,
): Promise<ReturnType<typeof cutsFromFlags>> {
  const given = cutsFromFlags(flags);
  if (!flags.plan && !given.cuts.length && !given.splits.length) {
    const valid = await ctx.core.call('models/cuts', { model: flags.model, seed: flags.seed });
    throw noCuts(valid.cuts);
  }
  return given;
}

const noCuts = (valid: readonly string[]): UsageError =>
  new UsageError(`--cut: give cut tensors or --plan (valid cuts: ${valid.join(', ')})`);

function presentManifest(r: { dir: string; manifest: Manifest }): string {
  const lines = [`wrote ${r.dir}/manifest.json for ${r.manifest.model}`];
  for (const s of r.manifest.stages) {
    for (const p of s.parts)
      lines.push(
        `  ${s.id}  ${p.file.padEnd(12)}  ${p.inputs.join(',')} -> ${p.outputs.join(',')}`,
      );
    if (s.concat) lines.push(`  ${s.id}  concat axis ${s.concat.axis} -> ${s.concat.output}`);
  }
  return lines.join('\n');
}

export function registerPartition(program: Command): void {
  withCommonOptions(
    withSpecOptions(
      program
        .command('partition')
        .description(
          'cut a model into stages and parts: one standalone ONNX file per part plus manifest.json',
        )
        .option('--out <dir>', 'folder for the parts and manifest.json')
        .option('--list-cuts <model>', 'list the tensors the model can be cut at, and exit'),
    ),
  ).action(
    action<{ cuts: string[] } | { dir: string; manifest: Manifest }>(
      async (ctx) => {
        const listing = ctx.options(z.object({ listCuts: z.string().optional(), seed: Seed }));
        if (listing.listCuts)
          return ctx.core.call('models/cuts', { model: listing.listCuts, seed: listing.seed });
        const flags = ctx.options(
          SpecFlags.extend({ out: z.string({ error: 'is required' }).min(1) }),
        );
        const { cuts, splits } = await cutsOrPlan(ctx, flags);
        return ctx.core.call('models/partition', {
          model: flags.model,
          seed: flags.seed,
          ...(flags.plan ? { plan: flags.plan } : { cuts, splits }),
          out: flags.out,
        });
      },
      (r) => ('cuts' in r ? r.cuts.join('\n') : presentManifest(r)),
    ),
  );
}
