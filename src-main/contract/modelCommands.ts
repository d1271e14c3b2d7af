// The contract's commands that write model files: a zoo model built with deterministic weights,
// and a trained model wrapped by its card for the farm (`mchair model build|import`; the Models
// view imports through models/upload). Kept beside commands.ts, which spreads them in.
import { z } from 'zod';
import { command } from './define';
import { Tensor } from './lab';
import { ModelCard, ModelInputContract, ModelLabels } from './modelCard';

const FilePath = z.string().min(1).max(4096);

/** What a written model is: where, its bytes and sha256, its tensors and costs. */
const WrittenModel = z.object({
  model: z.string(),
  path: z.string(),
  sha256: z.string(),
  input: Tensor,
  output: Tensor,
  layers: z.number().int(),
  macs: z.number(),
  params: z.number(),
  paramBytes: z.number(),
});

/**
 * The card of a file the catalogue does not know, or what to change of the catalogue's: layout,
 * channels, range and output are needed for an unknown file; mean and std default to none, resize
 * to the input size without a crop, labels to ImageNet's for 1000 classes.
 */
const CardChoices = z
  .object({
    title: z.string().min(1).max(200).optional(),
    layout: ModelInputContract.shape.layout.optional(),
    channels: ModelInputContract.shape.channels.optional(),
    range: ModelInputContract.shape.range.optional(),
    mean: ModelInputContract.shape.mean.optional(),
    std: ModelInputContract.shape.std.optional(),
    resize: ModelInputContract.shape.resize.optional(),
    crop: ModelInputContract.shape.crop.optional(),
    output: ModelCard.shape.output.optional(),
    labels: ModelLabels.optional(),
  })
  .strict();
export type CardChoices = z.output<typeof CardChoices>;

export const modelCommands = {
  'models/build': command(
    'Build a zoo model with deterministic He-initialised weights (same seed, same bytes) into an ONNX file.',
    z
      .object({
        name: z.string().min(1).max(64),
        out: FilePath,
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .default(0),
        /** The weights in <out>.data beside the model. */
        externalData: z.boolean().default(false),
      })
      .strict(),
    WrittenModel.extend({ bytes: z.number().int() }),
  ),
  'models/import': command(
    "Bring a trained classifier (an ONNX file on this computer) into the lab's library, or with `out` into a file, wrapped by its card (the catalogue's, by sha256, or the one given) to take the farm's uint8 frames and give probabilities.",
    z
      .object({
        file: FilePath,
        /** Its name in the lab (the catalogue's id by default). */
        name: z.string().min(1).max(64).optional(),
        out: FilePath.optional(),
        /** With `out`: the weights in <out>.data beside it. */
        externalData: z.boolean().default(false),
        card: CardChoices.default({}),
      })
      .strict(),
    WrittenModel.extend({
      /** The catalogue entry whose card it took, null when the card was given. */
      catalogue: z.string().nullable(),
      card: ModelCard,
    }),
  ),
} as const;
