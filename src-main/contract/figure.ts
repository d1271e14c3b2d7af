// The report's paper-style figures, named alike in the CLI (`mchair report --figure`), the
// Reports view and the HTML report, and the formats a report or a figure is written as.
import { z } from 'zod';

export const FIGURES = ['ips', 'energy', 'energy-split'] as const;
export const FigureId = z.enum(FIGURES);
export type FigureId = z.infer<typeof FigureId>;

/** Error bars over repeated runs: their whole range, or the mean plus and minus one sd. */
export const ERROR_BARS = ['range', 'sd'] as const;
export const ErrorBars = z.enum(ERROR_BARS);
export type ErrorBars = z.infer<typeof ErrorBars>;

export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export const ReportFormat = z.enum(REPORT_FORMATS);
export type ReportFormat = z.infer<typeof ReportFormat>;

/** One figure alone: SVG as drawn, PNG at a DPI, or PDF (vector) a page of its own size. */
export const FIGURE_FORMATS = ['svg', 'png', 'pdf'] as const;
export const FigureFormat = z.enum(FIGURE_FORMATS);
export type FigureFormat = z.infer<typeof FigureFormat>;
/** The DPI a printer or journal would ask of a PNG figure. */
export const FigureDpi = z.number().int().min(50).max(2400);
export const DEFAULT_DPI = 300;
