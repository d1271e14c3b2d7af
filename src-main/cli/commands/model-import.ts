// `mchair model import FILE`: bring a trained classifier into the lab's library (or, with --out,
// into a file), wrapped for the farm by its card, through the core's models/import. A file the
// catalogue knows by its sha256 takes its card by itself; any other file's card comes from the
// flags.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, InputError } from '../../contract/errors';
import type { ModelInputContract } from '../../contract/modelCard';
import type { CardChoices } from '../../contract/modelCommands';
import { action, UsageError, withCommonOptions } from '../framework';

const triple = (what: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => Number(v.trim())))
    .refine(
      (v) => v.length === 3 && v.every(Number.isFinite),
      `takes three numbers R,G,B (${what})`,
    )
    .transform((v) => v as [number, number, number]);

const CardFlags = z.object({
  name: z.string().optional(),
  out: z.string().min(1).optional(),
  externalData: z.boolean().optional(),
  title: z.string().min(1).max(200).optional(),
  layout: z.enum(['nchw', 'nhwc']).optional(),
  channels: z.enum(['rgb', 'bgr']).optional(),
  range: z.enum(['0-1', '0-255']).optional(),
  mean: triple('in the units of --range').optional(),
  std: triple('in the units of --range').optional(),
  resize: z
    .string()
    .regex(/^\d{1,4},\d{1,4}$/, 'takes W,H in pixels')
    .transform((s) => s.split(',').map(Number) as [number, number])
    .optional(),
  crop: z.enum(['center', 'none']).optional(),
  output: z.enum(['logits', 'probs']).optional(),
  labels: z.string().min(1).optional(),
});
type CardFlags = z.output<typeof CardFlags>;
/** One label a line, blank lines ignored. */
function readLabels(file: string): string[] {
  const text = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      throw new InputError(`--labels: cannot read ${file}`);
    }
  })();
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The card the flags give (the core completes it from the graph, or takes the catalogue's). */
function cardChoices(f: CardFlags): CardChoices {
  const { name: _name, out: _out, externalData: _externalData, labels, ...card } = f;
  return { ...card, ...(labels ? { labels: readLabels(labels) } : {}) };
}

export function registerModelImport(model: Command): void {
  withCommonOptions(
    model
      .command('import')
      .argument('<file>', 'ONNX file of a trained classifier (from a model zoo or an exporter)')
      .option('--name <name>', "its name in the lab (default: the catalogue's id)")
      .option('--out <file>', 'write the wrapped model to this file instead of the library')
      .option('--external-data', 'with --out: write the weights to <file>.data beside it')
      .option('--title <text>', "the card's title")
      .option('--layout <nchw|nhwc>', 'the input layout')
      .option('--channels <rgb|bgr>', 'the channel order the model expects')
      .option('--range <0-1|0-255>', 'pixel values before mean and std')
      .option('--mean <R,G,B>', 'per-channel mean, in the units of --range (default 0,0,0)')
      .option('--std <R,G,B>', 'per-channel std, in the units of --range (default 1,1,1)')
      .option('--resize <W,H>', 'scale to cover W x H (default: the input size)')
      .option('--crop <center|none>', "cut the input size from the resized picture's centre")
      .option('--output <logits|probs>', 'what the model gives (a Softmax follows logits)')
      .option('--labels <file>', 'class names, one a line (default: ImageNet for 1000 classes)')
      .description(
        "bring a trained model into the lab: its card from the catalogue (by sha256) or the flags, wrapped to take the farm's uint8 frames and give probabilities",
      ),
  ).action(
    action(
      async (ctx) => {
        const f = ctx.options(CardFlags);
        return ctx.core
          .call('models/import', {
            file: ctx.args[0]!,
            ...(f.name ? { name: f.name } : {}),
            ...(f.out ? { out: f.out } : {}),
            externalData: f.externalData === true,
            card: cardChoices(f),
          })
          .catch((err: unknown) => {
            // Flags are missing: a usage error, as every other flag the command needs.
            if (err instanceof AppError && err.code === 'MODEL_CARD_NEEDED')
              throw new UsageError(err.message);
            throw err;
          });
      },
      (s) =>
        [
          `imported ${s.model} -> ${s.path} (${s.card.title}; card ${s.catalogue ? `from the catalogue entry ${s.catalogue}` : 'from the flags'})`,
          `frames ${s.input.dtype} [${s.input.shape.join(',')}] -> ${s.output.name} ${s.output.dtype} [${s.output.shape.join(',')}]; the model takes ${describeInput(s.card.input)}`,
          `${s.layers} layers, ${s.params.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} MACs`,
        ].join('\n'),
    ),
  );
}

function describeInput(c: ModelInputContract): string {
  return `${c.dtype} ${c.layout.toUpperCase()} ${c.channels.toUpperCase()} ${c.range}, mean ${c.mean.join(',')}, std ${c.std.join(',')}, resize ${c.resize.join('x')} crop ${c.crop}`;
}
