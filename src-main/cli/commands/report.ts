// `mchair report RUN [RUN...] --format html|pdf|csv|json --out FILE`: one run's report, or
// several runs side by side with the paper's figures. Without --out the report goes to stdout
// (all formats but PDF). `mchair report RUN... --figure ips|energy|energy-split --format
// svg|png|pdf --out FILE [--dpi N]` writes one of the report's figures alone, for a paper.
// `mchair report --schema` prints the JSON report's JSON Schema.
// Everything goes through the core (reports/write, reports/schema); this file keeps the flags.
import { extname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import {
  DEFAULT_DPI,
  ERROR_BARS,
  FIGURE_FORMATS,
  FIGURES,
  REPORT_FORMATS,
  type FigureFormat,
  type ReportFormat,
} from '../../contract/figure';
import type { JsonReport } from '../../contract/report';
import { action, Option, UsageError, withCommonOptions } from '../framework';

const FORMATS = [...REPORT_FORMATS, ...FIGURE_FORMATS.filter((f) => f !== 'pdf')] as const;
type Format = (typeof FORMATS)[number];

const ReportOptions = z.object({
  // Choices (figure, format, error bars) and the DPI's range are checked by commander: a wrong
  // one is wrong usage (exit 2), like an unknown flag.
  format: z.enum(FORMATS).optional(),
  figure: z.enum(FIGURES).optional(),
  dpi: z.number().optional(),
  errorBars: z.enum(ERROR_BARS).optional(),
  out: z.string().min(1).optional(),
  schema: z.boolean().optional(),
});

function formatFor(format: Format | undefined, out: string | undefined, figure: boolean): Format {
  if (format) return format;
  const ext = out ? extname(out).slice(1).toLowerCase() : '';
  const known: readonly string[] = figure ? FIGURE_FORMATS : REPORT_FORMATS;
  return known.includes(ext) ? (ext as Format) : figure ? 'svg' : 'html';
}

const isFigureFormat = (f: Format): f is FigureFormat =>
  (FIGURE_FORMATS as readonly string[]).includes(f);

/** --dpi: a whole number of dots per inch a printer or journal would ask for. */
function parseDpi(value: string): number {
  const dpi = Number(value);
  if (!/^\d+$/.test(value) || dpi < 50 || dpi > 2400)
    throw new InvalidArgumentError('give a whole number of dots per inch from 50 to 2400');
  return dpi;
}

const isText = (r: object): r is { text: string } =>
  typeof (r as { text?: unknown }).text === 'string';

export function registerReport(program: Command): void {
  withCommonOptions(
    program
      .command('report')
      .argument('[runs...]', 'run ids (see `mchair runs list`)')
      .description(
        "report runs: summary, energy, devices, timeline and plan; several runs side by side with the paper's figures",
      )
      .addOption(
        new Option(
          '--format <format>',
          `${REPORT_FORMATS.join('|')}, or svg|png|pdf with --figure (default: from --out's extension, else html, or svg for a figure)`,
        ).choices(FORMATS),
      )
      .addOption(
        new Option(
          '--figure <figure>',
          "write one figure alone, fit for a paper: inferences per second, total energy per inference, or energy split static/dynamic (the paper's bars beside ours)",
        ).choices(FIGURES),
      )
      .addOption(
        new Option('--dpi <n>', `a PNG figure's dots per inch (default ${DEFAULT_DPI})`).argParser(
          parseDpi,
        ),
      )
      .addOption(
        new Option(
          '--error-bars <kind>',
          "a figure's error bars over repeated runs: their range (min-max) or mean +- sd (default range)",
        ).choices(ERROR_BARS),
      )
      .option('--out <file>', 'write the report here (needed for pdf and png)')
      .option('--schema', "print the JSON report's JSON Schema (docs/report.schema.json) instead"),
  ).action(
    action(
      async (ctx) => {
        const o = ctx.options(ReportOptions);
        if (o.schema)
          return { text: JSON.stringify(await ctx.core.call('reports/schema', {}), null, 2) };
        if (ctx.args.length === 0)
          throw new UsageError('give one or more run ids (see `mchair runs list`), or --schema');
        const format = formatFor(o.format, o.out, o.figure !== undefined);
        if (o.figure) {
          if (!isFigureFormat(format))
            throw new UsageError(
              `--format: a figure is written as ${FIGURE_FORMATS.join(', ')}, not ${format}`,
            );
          if (o.dpi !== undefined && format !== 'png')
            throw new UsageError('--dpi: only a png figure has one');
        } else {
          if (isFigureFormat(format) && format !== 'pdf')
            throw new UsageError(
              `--format ${format}: add --figure ${FIGURES.join('|')} to say which figure`,
            );
          for (const flag of ['dpi', 'errorBars'] as const)
            if (o[flag] !== undefined)
              throw new UsageError(
                `--${flag === 'dpi' ? 'dpi' : 'error-bars'}: only with --figure`,
              );
        }
        if (!o.out && (format === 'pdf' || format === 'png'))
          throw new UsageError(
            `--out: a ${format.toUpperCase()} ${o.figure ? 'figure' : 'report'} needs a file to go to`,
          );
        const runIds = [...ctx.args];
        const write = (out: string | undefined) =>
          ctx.core.call(
            'reports/write',
            o.figure
              ? {
                  runIds,
                  figure: o.figure,
                  format: format as FigureFormat,
                  out,
                  dpi: o.dpi,
                  errorBars: o.errorBars,
                }
              : { runIds, format: format as ReportFormat, out },
          );
        if (!o.out) {
          const { text = '' } = await write(undefined);
          // The JSON report is a document: --json prints it as it is, not inside {text}.
          return !o.figure && format === 'json' ? (JSON.parse(text) as JsonReport) : { text };
        }
        const off = ctx.core.on('run/say', (e) => ctx.say(e.line));
        const { runs } = await write(resolve(o.out)).finally(off);
        return o.figure
          ? { out: o.out, format, figure: o.figure, runs }
          : { out: o.out, format, runs };
      },
      (r) => {
        if (isText(r)) return r.text.replace(/\n$/, '');
        if ('out' in r)
          return `wrote ${r.out} (${'figure' in r ? `${r.figure} figure, ` : ''}${r.format}, ${r.runs.length} run${r.runs.length === 1 ? '' : 's'})`;
        return JSON.stringify(r, null, 2);
      },
    ),
  );
}
