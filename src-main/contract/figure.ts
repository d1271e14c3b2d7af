// The report's paper-style figures, named alike in the CLI (`mchair report --figure`), the
// Reports view and the HTML report.
import { z } from 'zod';

export const FIGURES = ['ips', 'energy', 'energy-split'] as const;
export const FigureId = z.enum(FIGURES);
export type FigureId = z.infer<typeof FigureId>;

/** Error bars over repeated runs: their whole range, or the mean plus and minus one sd. */
export const ERROR_BARS = ['range', 'sd'] as const;
export const ErrorBars = z.enum(ERROR_BARS);
export type ErrorBars = z.infer<typeof ErrorBars>;
