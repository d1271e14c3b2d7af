// `mchair model import FILE`: bring a trained classifier into the lab's library (or, with --out,
// into a file), wrapped for the farm by its card. A file the catalogue knows by its sha256 takes
// its card by itself; any other file's card comes from the flags.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '../../contract/errors';
import { ModelCard, type ModelInputContract } from '../../contract/modelCard';
import { identifyFile, ModelLibrary } from '../../model/library';
import { analyseModel, inspectModel, saveModel, wrapModel } from '../../model/index';
import { loadModel } from '../../model/load';
import type { OnnxModel } from '../../model/onnx';
import { checkCard } from '../../model/wrap';
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
const CARD_KEYS = [
  'layout',
  'channels',
  'range',
  'mean',
  'std',
  'resize',
  'crop',
  'output',
] as const;

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

/**
 * The card the flags describe for this graph. Layout, channels, range and output are required;
 * mean and std default to none, resize to the input size without a crop; the dtype is the graph's.
 */
function cardFromFlags(f: CardFlags, model: OnnxModel, file: string): ModelCard {
  const missing = (['layout', 'channels', 'range', 'output'] as const).filter((k) => !f[k]);
  if (missing.length)
    throw new UsageError(
      `${file} is not in the catalogue: its card needs ${missing.map((k) => `--${k}`).join(', ')}`,
    );
  const { input, output } = analyseModel(model);
  const dtype = input.dtype === 'float16' || input.dtype === 'uint8' ? input.dtype : 'float32';
  const [h, w] = f.layout === 'nchw' ? input.shape.slice(2) : input.shape.slice(1, 3);
  const contract: ModelInputContract = {
    dtype,
    layout: f.layout!,
    channels: f.channels!,
    range: f.range!,
    mean: f.mean ?? [0, 0, 0],
    std: f.std ?? [1, 1, 1],
    resize: f.resize ?? [w ?? 0, h ?? 0],
    crop: f.crop ?? 'none',
  };
  const classes = output.shape.slice(1).reduce((a, b) => a * b, 1);
  const labels = f.labels
    ? readLabels(f.labels)
    : classes === 1000
      ? ('imagenet' as const)
      : Array.from({ length: classes }, (_, i) => `class ${i}`);
  const card = { title: f.title ?? model.name, input: contract, output: f.output!, labels };
  // The graph first: a layout that puts the channels elsewhere is the error to name.
  checkCard(model, card);
  const parsed = ModelCard.safeParse(card);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`card ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
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
        const file = ctx.args[0]!;
        const model = loadModel(file, f.name ? { name: f.name } : {});
        const identified = await identifyFile(file);
        const { sha256, entry: known } = identified;
        const given = CARD_KEYS.some((k) => f[k] !== undefined) || f.labels !== undefined;
        const card = given || !known ? cardFromFlags(f, model, file) : known.card;
        if (f.out) {
          const wrapped = wrapModel(model, card, f.name ?? known?.id ?? model.name);
          const saved = saveModel(wrapped, f.out, { externalData: f.externalData });
          return summary(wrapped, card, {
            path: f.out,
            sha256: saved.sha256,
            catalogue: known?.id,
          });
        }
        const added = await new ModelLibrary(ctx.dataDir).addFile(file, {
          name: f.name,
          card,
          identified,
        });
        return summary(added.model, added.card, {
          path: `library: ${added.name}`,
          sha256,
          catalogue: known?.id,
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

function summary(
  model: OnnxModel,
  card: ModelCard,
  where: { path: string; sha256: string; catalogue: string | undefined },
) {
  const r = inspectModel(model);
  return {
    model: model.name,
    ...where,
    catalogue: where.catalogue ?? null,
    card,
    input: r.input,
    output: r.output,
    layers: r.layers.length,
    ...r.totals,
  };
}
