// What models/partition and models/verify take (a model and how to cut it) and what a
// verification answers.
import { z } from 'zod';

/** The seed of a zoo model's made-up weights (same seed, same bytes); files keep their own. */
export const WeightSeed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .default(0);

/** A model and how to cut it (models/partition, models/verify). */
export const PartitionArgs = {
  model: z.string().min(1).max(4096),
  seed: WeightSeed,
  cuts: z.array(z.string().min(1).max(256)).max(1000).default([]),
  splits: z
    .array(z.object({ stage: z.number().int().min(0), parts: z.number().int().min(1) }))
    .max(1000)
    .default([]),
  /** A plan document's path, instead of cuts and splits. */
  plan: z.string().min(1).max(4096).optional(),
};
export const onePartitionSpec = (r: {
  plan?: string;
  cuts: string[];
  splits: unknown[];
}): boolean => !(r.plan && (r.cuts.length || r.splits.length));
export const partitionSpecBoth = {
  message: 'give either a plan or cuts and splits, not both',
  path: ['plan'],
};
const AnyNumber = z.custom<number>((v) => typeof v === 'number', 'is not a number');

/** How far a model's parts are from the whole model on random frames (models/verify). */
export const VerifyReport = z.object({
  model: z.string(),
  frames: z.number().int(),
  stages: z.number().int(),
  parts: z.number().int(),
  // Differences may be NaN or infinite when the parts break the model: still a number.
  maxAbsDiff: AnyNumber,
  maxRelDiff: AnyNumber,
  tolerance: z.number(),
  ok: z.boolean(),
});
