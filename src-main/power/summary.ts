// power.json: what a power session measured (per meter: idle watts, the run's statistics, gaps,
// refused readings), written at the end of a run and read back by reports.
import { z } from 'zod';
import { Covered, MeterScopeSchema } from '../contract/energy';

const Stats = z.object({
  samples: z.number().int().min(0),
  avgW: z.number(),
  minW: z.number(),
  maxW: z.number(),
  energyJ: z.number(),
  durationS: z.number(),
});

export const MeterPower = z.object({
  info: z.object({
    uri: z.string(),
    kind: z.string(),
    label: z.string(),
    scope: MeterScopeSchema,
    emulated: z.boolean(),
  }),
  intervalMs: z.number(),
  idleW: z.number().nullable(),
  /** The run's samples only (idle excluded), edges interpolated at the run's start and end. */
  run: Stats,
  /** The samples inside the run's measured window (see RunFigures); null without one. */
  window: Stats.nullable(),
  /** The stretch of the run it measured (absent in records made before boards could join). */
  covered: Covered.optional(),
  gaps: z.array(z.object({ fromS: z.number(), toS: z.number() })),
  garbage: z.number().int(),
  error: z.string().nullable(),
});
export type MeterPower = z.infer<typeof MeterPower>;

export const PowerSummary = z.object({
  /** Session-clock ms of the run's start and end. */
  runStartMs: z.number(),
  runEndMs: z.number(),
  /** Session-clock ms of the measured window (after warm-up and fill), or null without one. */
  window: z.object({ fromMs: z.number(), toMs: z.number() }).nullable(),
  idleSeconds: z.number(),
  /** The idle watts the user gave, if they did. */
  idleGivenW: z.number().nullable(),
  meters: z.array(MeterPower),
});
export type PowerSummary = z.infer<typeof PowerSummary>;
