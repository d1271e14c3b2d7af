// The contract's commands that write reports where the caller says (`mchair report`: the app's
// Reports view takes a report's bytes from reports/export and saves them itself) and give the
// JSON report's schema. Kept beside commands.ts, which spreads them in.
import { z } from 'zod';
import { command } from './define';
import { ErrorBars, FigureDpi, FigureFormat, FigureId, ReportFormat } from './figure';

/**
 * Run ids as the user typed them: the store's loader refuses what is not one, naming a file
 * given in its place, which the contract's pattern alone could not.
 */
const RunIdsTyped = z.array(z.string().min(1).max(4096)).min(1).max(1000);
/**
 * A file on this computer, by its absolute path (the core's working folder is nobody's business);
 * without one the text goes back in the answer (no PDF or PNG).
 */
const OutFile = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'is not an absolute path')
  .optional();

export const reportCommands = {
  'reports/write': command(
    'A report over the runs given (side by side when several), or one of its figures alone, written atomically to a file on this computer, or returned as text when no file is given (not PDF or PNG).',
    z.union([
      z.object({ runIds: RunIdsTyped, format: ReportFormat, out: OutFile }).strict(),
      z
        .object({
          runIds: RunIdsTyped,
          figure: FigureId,
          format: FigureFormat,
          dpi: FigureDpi.optional(),
          errorBars: ErrorBars.optional(),
          out: OutFile,
        })
        .strict(),
    ]),
    z.object({
      runs: z.array(z.string()),
      format: z.string(),
      figure: FigureId.optional(),
      /** The file written, or the text when none was given. */
      out: z.string().optional(),
      text: z.string().optional(),
    }),
  ),
  'reports/schema': command(
    "The JSON report's JSON Schema (docs/report.schema.json).",
    z.object({}).strict(),
    z.record(z.string(), z.unknown()),
  ),
} as const;
