// The answer to `powerRead`: a board's own power rails as its agent reads them (TX2 INA3221, Pi 5
// PMIC) and as the coordinator validates them, and as the app's tegrastats reader builds them.
// One definition for both ends of the wire, so it lives in the protocol.
import { z } from 'zod';

export const Rail = z.object({
  name: z.string().min(1).max(64),
  w: z.number().finite().min(0),
  v: z.number().finite().optional(),
  a: z.number().finite().optional(),
});
export type Rail = z.infer<typeof Rail>;

/** The agent's answer to `powerRead`. */
export const RailsReading = z.object({
  /** The agent's monotonic clock, ms, when the rails were read. */
  t: z.number().finite(),
  source: z.enum(['ina3221', 'tegrastats', 'pmic']),
  /** Whole-board watts: the input rail where the board has one, else the sum of the rails. */
  totalW: z.number().finite().min(0),
  rails: z.array(Rail).min(1),
});
export type RailsReading = z.infer<typeof RailsReading>;

/** Rails that measure the board's whole input (TX2 VDD_IN; Nano/Xavier POM_5V_IN, VIN_SYS_5V0). */
const INPUT_RAILS = ['VDD_IN', 'POM_5V_IN', 'VIN_SYS_5V0'];

/** A reading of `rails` taken at `t`, its whole-board watts from the input rail or the sum. */
export function railsReading(
  source: RailsReading['source'],
  t: number,
  rails: Rail[],
): RailsReading {
  const input = rails.find((r) => INPUT_RAILS.includes(r.name));
  const totalW = input ? input.w : rails.reduce((s, r) => s + r.w, 0);
  return RailsReading.parse({ t, source, totalW, rails });
}
