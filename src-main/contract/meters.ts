// The lab's saved power meters as Settings edits them: a name people recognise and the meter's
// URI (src-main/power/uri.ts). Runs started from the app read every saved meter.
import { z } from 'zod';

export const MeterName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}$/,
    'use 1-64 letters, digits, spaces, dot, dash, underscore or brackets, starting with a letter or digit',
  );

export const SavedMeter = z
  .object({
    name: MeterName,
    uri: z.string().trim().min(1, 'is required').max(500),
  })
  .strict();
export type SavedMeter = z.infer<typeof SavedMeter>;

/** More than a lab plugs in at once; a bound keeps a run's sampling within reason. */
export const MAX_SAVED_METERS = 32;
