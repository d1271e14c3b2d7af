// What a trained model sees in pictures (`mchair classify`): each picture's top classes with the
// card's labels, in this process or through a farm by a plan.
import { z } from 'zod';

export const Recognition = z.object({
  model: z.string(),
  /** The plan the farm ran ("s0 x2 | s1": stages in order, replicas as xN); null in-process. */
  plan: z.object({ origin: z.string(), layout: z.string(), predictedIps: z.number() }).nullable(),
  emulated: z.boolean(),
  /** The farm's run, recorded in the lab's history; null in-process. */
  runId: z.string().nullable(),
  images: z.array(
    z.object({
      file: z.string(),
      top: z.array(
        z.object({ index: z.number().int(), label: z.string(), probability: z.number() }),
      ),
    }),
  ),
});
export type Recognition = z.infer<typeof Recognition>;

/** Pictures a farm run takes at once: one frame each, all answers kept until the run ends. */
export const MAX_PICTURES = 10_000;
