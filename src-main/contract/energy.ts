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
  perInferenceJ: PerInferenceJ.nullable(),
  /** Stretches without samples for more than twice the interval, in seconds of the run. */
  gaps: z.array(z.object({ fromS: z.number(), toS: z.number() })),
  /** Readings refused as garbage (NAN, INF, malformed) and left out. */
  garbage: z.number().int(),
  /** Why the meter stopped early, if it did. */
  error: z.string().nullable(),
});
export type MeterEnergy = z.infer<typeof MeterEnergy>;

export const RunEnergy = z.object({
  idleW: z.number(),
  avgW: z.number(),
  energyJ: z.number(),
  durationS: z.number(),
  perInferenceJ: PerInferenceJ.nullable(),
  inferencesPerJ: z.number().nullable(),
  /** True when any watts behind the farm figure come from a model, not an instrument. */
  emulated: z.boolean(),
  /** A meter on the whole farm, or the sum of per-device meters. */
  basis: z.enum(['farm-meter', 'device-meters']),
  meters: z.array(MeterEnergy),
});
export type RunEnergy = z.infer<typeof RunEnergy>;
