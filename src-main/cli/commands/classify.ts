// `mchair classify IMAGE... --model NAME [--emulate SPEC | --farm FILE | --devices NAMES]
// [--plan auto|FILE] [--top K] [--json]`: what a trained model sees in each picture, its top K
// classes with the card's labels and probabilities; in this process, or through a farm by a plan
// as `mchair run` runs: through the core (models/classify), its lines from run/say events.
import type { Command } from 'commander';
import { z } from 'zod';
import { MAX_PICTURES, type Recognition } from '../../contract/index';
import { action, UsageError, withCommonOptions } from '../framework';
import { runFarmFromFlags, withFarmOptions } from './farmFlags';

const Options = z.object({
  model: z.string({ error: 'is required (a library model or an ONNX file)' }).min(1),
  plan: z.string().min(1).optional(),
  top: z.coerce.number().int().min(1).max(1000).default(5),
});

function present(r: Recognition): string {
  const where = r.plan
    ? `${r.model}, plan ${r.plan.origin}: ${r.plan.layout}${r.emulated ? ' (emulated boards)' : ''}, run ${r.runId}`
    : `${r.model}, whole model in this process`;
  return [
    where,
    ...r.images.flatMap((img) => [
      img.file,
      ...img.top.map(
        (c) => `  ${String(c.index).padStart(4)}  ${c.probability.toFixed(4)}  ${c.label}`,
      ),
    ]),
  ].join('\n');
}

export function registerClassify(program: Command): void {
  const cmd = withCommonOptions(
    program
      .command('classify')
      .description("what a trained model sees in pictures: each one's top classes")
      .argument('<images...>', 'JPEG or PNG files')
      .option(
        '--model <model>',
        'library model (mchair model import / get) or an ONNX file the catalogue knows',
      )
      .option('--plan <plan>', 'with a farm: plan file or auto (the planner, the default)')
      .option('--top <k>', 'classes to show per picture', '5'),
  );
  withFarmOptions(cmd, 'classify').action(
    action(async (ctx) => {
      const o = ctx.options(Options);
      const files = ctx.args;
      if (files.length > MAX_PICTURES)
        throw new UsageError(
          `classify: at most ${MAX_PICTURES} pictures at once (${files.length} given)`,
        );
      const farm = await runFarmFromFlags(ctx, false);
      if (!farm && o.plan !== undefined)
        throw new UsageError(
          '--plan needs a farm (--emulate, --farm or --devices); without one the whole model runs here',
        );
      const off = ctx.core.on('run/say', (e) => ctx.say(e.line));
      try {
        return await ctx.core.call('models/classify', {
          model: o.model,
          files: [...files],
          top: o.top,
          ...(o.plan ? { plan: o.plan } : {}),
          ...(farm ? { farm } : {}),
        });
      } finally {
        off();
      }
    }, present),
  );
}
