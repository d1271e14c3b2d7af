// Starting a run from the app: which farm, which plan, where frames come from, and what the
// Run view sees of every frame (its top-5 classes) and of the frames the page sends.
import { z } from 'zod';
import { RunId } from './run';
import { HostKeyFingerprint } from './provision';

export const RunFarm = z.discriminatedUnion('kind', [
  /** The lab's virtual farm that is up (farm/up). */
  z.object({ kind: z.literal('virtual') }).strict(),
  /** Emulated boards started for this run only, e.g. "pi3:4". */
  z.object({ kind: z.literal('emulate'), spec: z.string().min(1).max(200) }).strict(),
  /** Provisioned boards of the inventory, by name: the plan's parts are pushed to them over SSH. */
  z
    .object({
      kind: z.literal('inventory'),
      devices: z.array(z.string().min(1).max(64)).min(1).max(256),
      /** SHA256 fingerprints of new host keys the user confirmed after a HOST_KEY_UNKNOWN. */
      confirmed: z.array(HostKeyFingerprint).max(256).default([]),
      /** New host keys trusted for this run only: never written to known_hosts. */
      acceptedOnce: z.array(HostKeyFingerprint).max(256).default([]),
      /** `mchair run --inventory FILE`: another inventory than the data folder's. */
      inventory: z.string().min(1).max(4096).optional(),
      /** `mchair run --accept-new`: trust and remember host keys never seen before. */
      acceptNew: z.boolean().default(false),
    })
    .strict(),
  /** `mchair run --farm FILE`: a farm file's farm that is up (e.g. from `mchair farm up`). */
  z.object({ kind: z.literal('file'), file: z.string().min(1).max(4096) }).strict(),
]);
export type RunFarm = z.infer<typeof RunFarm>;

/**
 * synthetic: generated in the core, never dropped. camera: the page's webcam, live (the oldest
 * waiting frame is dropped when the farm is slower than the camera). file: a video or an image
 * folder played in the page, paced by the farm (never dropped).
 */
export const RunSourceKind = z.enum(['synthetic', 'camera', 'file']);
export type RunSourceKind = z.infer<typeof RunSourceKind>;

/** Frames the page sends are 224x224 RGB uint8 (HWC), the built-in models' input. */
export const PAGE_FRAME = { width: 224, height: 224, channels: 3 } as const;
export const PAGE_FRAME_BYTES = PAGE_FRAME.width * PAGE_FRAME.height * PAGE_FRAME.channels;

export const SourceCounters = z.object({
  /** Frames the page handed over (accepted into the queue). */
  received: z.number().int(),
  /** Live frames thrown away because a newer one came while they waited. */
  dropped: z.number().int(),
  /** Frames waiting for the farm now. */
  waiting: z.number().int(),
});
export type SourceCounters = z.infer<typeof SourceCounters>;

/** A class as the model's card names it (ImageNet's "tabby, tabby cat"), with its probability. */
export const TopClass = z.object({
  index: z.number().int(),
  label: z.string().max(200),
  probability: z.number(),
});

/** One answered frame, for the live preview (sent at most a few times a second). */
export const RunFrame = z.object({
  runId: RunId,
  frameId: z.number().int(),
  /** Softmax probabilities of the five best classes, best first. */
  top5: z.array(TopClass),
  /** Labels that mean nothing: a built-in architecture's weights, or a model without a card. */
  untrained: z.boolean(),
  source: SourceCounters.nullable(),
});
export type RunFrame = z.infer<typeof RunFrame>;

/**
 * The meters `mchair run` reads (--meter, --idle-seconds, --idle-watts, --meter-interval), as
 * power/options.ts checks them; a run from the app reads the meters saved in Settings instead.
 */
export const RunMeterFlags = z
  .object({
    meter: z.array(z.string().min(1).max(500)).max(64).default([]),
    idleSeconds: z.number().min(0).optional(),
    idleWatts: z.number().min(0).optional(),
    meterInterval: z.number().positive().optional(),
  })
  .strict();
