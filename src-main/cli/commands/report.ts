// `mchair report RUN [RUN...] --format html|pdf|csv|json --out FILE`: one run's report, or
// several runs side by side with the paper's figures. Without --out the report goes to stdout
// (all formats but PDF). `mchair report RUN... --figure ips|energy|energy-split --format
// svg|png|pdf --out FILE [--dpi N]` writes one of the report's figures alone, for a paper.
// `mchair report --schema` prints the JSON report's JSON Schema.
import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import {
  loadReportRuns,
  renderJson,
  reportText,
  REPORT_FORMATS,
  writeReport,
  type ReportFormat,
} from '../../reports/index';
import { reportJsonSchema } from '../../contract/report';
import { ERROR_BARS } from '../../reports/figure/spec';
import {
  DEFAULT_DPI,
  FIGURE_FORMATS,
  FIGURES,
  renderFigureFile,
  writeFigure,
  type FigureFormat,
} from '../../reports/figure/output';
import { action, EXIT_USAGE, Option, UsageError, withCommonOptions } from '../framework';

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
  const cmd = withCommonOptions(
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
  );
  /** Flags that make no sense together: wrong usage, exit 2, like an unknown flag. */
  const usage = (message: string): never => cmd.error(message, { exitCode: EXIT_USAGE });
  cmd.action(
    action(
      async (ctx) => {
        const o = ctx.options(ReportOptions);
        if (o.schema) return { text: JSON.stringify(reportJsonSchema(), null, 2) };
        if (ctx.args.length === 0)
          throw new UsageError('give one or more run ids (see `mchair runs list`), or --schema');
        const format = formatFor(o.format, o.out, o.figure !== undefined);
        if (o.figure) {
          if (!isFigureFormat(format))
            usage(`--format: a figure is written as ${FIGURE_FORMATS.join(', ')}, not ${format}`);
          if (o.dpi !== undefined && format !== 'png') usage('--dpi: only a png figure has one');
        } else {
          if (isFigureFormat(format) && format !== 'pdf')
            usage(`--format ${format}: add --figure ${FIGURES.join('|')} to say which figure`);
          for (const flag of ['dpi', 'errorBars'] as const)
            if (o[flag] !== undefined)
              usage(`--${flag === 'dpi' ? 'dpi' : 'error-bars'}: only with --figure`);
        }
        const figureOpts = {
          ...(o.dpi !== undefined ? { dpi: o.dpi } : {}),
          ...(o.errorBars ? { errorBars: o.errorBars } : {}),
        };
        if (!o.out) {
          if (format === 'pdf' || format === 'png')
            throw new UsageError(
              `--out: a ${format.toUpperCase()} ${o.figure ? 'figure' : 'report'} needs a file to go to`,
            );
          const runs = await loadReportRuns(ctx.dataDir, ctx.args);
          if (o.figure)
            return { text: (await renderFigureFile(runs, o.figure, 'svg', figureOpts)) as string };
          return format === 'json'
            ? renderJson(runs)
            : { text: reportText(runs, format as Exclude<ReportFormat, 'pdf'>) };
        }
        const runs = await loadReportRuns(ctx.dataDir, ctx.args);
        if (o.figure) {
          const figureFormat = format as FigureFormat;
          ctx.say(`drawing the ${o.figure} figure as ${format}...`);
          await writeFigure(runs, o.figure, figureFormat, o.out, figureOpts);
          return { out: o.out, format, figure: o.figure, runs: runs.map((r) => r.runId) };
        }
        ctx.say(`rendering ${format} for ${runs.length} run${runs.length === 1 ? '' : 's'}...`);
        await writeReport(runs, format as ReportFormat, o.out);
        return { out: o.out, format, runs: runs.map((r) => r.runId) };
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
