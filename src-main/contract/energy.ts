// A run's energy, as stored in its run.json and shown in reports: per meter (whole farm, one
// device or a group) and for the whole farm, with the paper's static/dynamic split per inference.
import { z } from 'zod';

export const PerInferenceJ = z.object({
  static: z.number(),
  dynamic: z.number(),
  total: z.number(),
});
export type PerInferenceJ = z.infer<typeof PerInferenceJ>;

export const MeterScopeSchema = z.union([
  z.object({ kind: z.literal('farm') }),
  z.object({ kind: z.literal('devices'), devices: z.array(z.string()) }),
]);

/**
 * The stretch of the run a meter measured, in seconds from the run's start: from 0 for the meters
 * the run started with, from its join for a board that joined mid-run (nothing before: it was not
 * in the run), until the run's end or the meter's last sample when it stopped early.
 */
export const Covered = z.object({ fromS: z.number(), toS: z.number() });
export type Covered = z.infer<typeof Covered>;

/** The stretch a meter covered when it is only part of a run of `runS` seconds, else null. */
export function partOfRun(c: Covered | undefined, runS: number): Covered | null {
  return c && (c.fromS > 0 || c.toS < runS) ? c : null;
}

export const MeterEnergy = z.object({
  meter: z.string(),
  uri: z.string(),
  kind: z.string(),
  scope: MeterScopeSchema,
  emulated: z.boolean(),
  intervalMs: z.number(),
  /** Null when idle was neither measured nor given for this meter. */
  idleW: z.number().nullable(),
  avgW: z.number(),
  minW: z.number(),
  maxW: z.number(),
  energyJ: z.number(),
  durationS: z.number(),
  samples: z.number().int(),
  /** The same meter over the run's measured window; null without one. */
  window: z
    .object({
      avgW: z.number(),
      energyJ: z.number(),
      seconds: z.number(),
      samples: z.number().int(),
    })
    .nullable(),
  /** The stretch of the run it measured; absent in records made before boards could join. */
  covered: Covered.optional(),
  /** Over the measured window, at the run's IPS; null without a window or an idle figure. */
  perInferenceJ: PerInferenceJ.nullable(),
  /** Stretches without samples for more than twice the interval, in seconds of the run. */
  gaps: z.array(z.object({ fromS: z.number(), toS: z.number() })),
  /** Readings refused as garbage (NAN, INF, malformed) and left out. */
  garbage: z.number().int(),
  /** Why the meter stopped early, if it did. */
  error: z.string().nullable(),
});
export type MeterEnergy = z.infer<typeof MeterEnergy>;

/** The stretch of the run its IPS and energy per inference are measured over. */
export const EnergyWindow = z.object({
  seconds: z.number(),
  frames: z.number().int(),
  ips: z.number(),
  avgW: z.number(),
  energyJ: z.number(),
});
export type EnergyWindow = z.infer<typeof EnergyWindow>;

export const RunEnergy = z.object({
  idleW: z.number(),
  /** The measured window (after warm-up and the pipeline's fill); null when the run was too short. */
  window: EnergyWindow.nullable(),
  /** The paper's method over the window: static = idle W / IPS, dynamic = (avg W - idle W) / IPS. */
  perInferenceJ: PerInferenceJ.nullable(),
  inferencesPerJ: z.number().nullable(),
  /** The whole run, deploy, warm-up and fill included: never a per-inference figure. */
  wholeRun: z.object({
    seconds: z.number(),
    inferences: z.number().int(),
    avgW: z.number(),
    energyJ: z.number(),
  }),
  /** True when any watts behind the farm figure come from a model, not an instrument. */
  emulated: z.boolean(),
  /** A meter on the whole farm, or the sum of per-device meters. */
  basis: z.enum(['farm-meter', 'device-meters']),
  meters: z.array(MeterEnergy),
});
export type RunEnergy = z.infer<typeof RunEnergy>;
