// What the Run view sees of a run's power while it goes: each meter's new samples, batched a few
// times a second, and the running joules per inference over the measured window so far (the
// same figures runEnergy gives at the end, computed on the samples that have arrived).
import { z } from 'zod';
import { PerInferenceJ } from './energy';
import { RunId } from './run';

const Watts = z.number().finite().nonnegative();

/** Samples one meter sends in one batch at most; a log read faster than that sends the rest next. */
export const LIVE_POWER_BATCH_MAX = 10_000;

export const LivePowerMeter = z.object({
  /** The meter's label, as in power.csv and the run's energy. */
  meter: z.string().min(1).max(200),
  emulated: z.boolean(),
  /** Its measured (or given) idle watts; null when only the farm's idle is known. */
  idleW: Watts.nullable(),
  intervalMs: z.number().positive(),
  /** Samples since the last batch: [seconds since the run's first frame, watts], oldest first. */
  samples: z.array(z.tuple([z.number().finite(), Watts])).max(LIVE_POWER_BATCH_MAX),
});
export type LivePowerMeter = z.infer<typeof LivePowerMeter>;

/** Joules per inference over the measured window so far; null until the window opens. */
export const LiveEnergy = z.object({
  seconds: z.number().nonnegative(),
  frames: z.number().int().nonnegative(),
  ips: z.number().positive(),
  idleW: Watts,
  avgW: Watts,
  perInferenceJ: PerInferenceJ,
  emulated: z.boolean(),
});
export type LiveEnergy = z.infer<typeof LiveEnergy>;

export const LivePower = z.object({
  runId: RunId,
  meters: z.array(LivePowerMeter).max(256),
  energy: LiveEnergy.nullable(),
});
export type LivePower = z.infer<typeof LivePower>;
