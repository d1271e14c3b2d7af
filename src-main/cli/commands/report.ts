// `mchair report RUN [RUN...] --format html|pdf|csv|json --out FILE`: one run's report, or
// several runs side by side with the paper's figures. Without --out the report goes to stdout
// (all formats but PDF). `mchair report --schema` prints the JSON report's JSON Schema.
import { extname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  loadReportRuns,
  renderJson,
  reportText,
  REPORT_FORMATS,
  writeReport,
  type ReportFormat,
} from '../../reports/index';
import { reportJsonSchema } from '../../reports/schema';
import { action, UsageError, withCommonOptions } from '../framework';

const ReportOptions = z.object({
  format: z
    .enum(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` })
    .optional(),
  out: z.string().min(1).optional(),
  schema: z.boolean().optional(),
});

function formatFor(format: ReportFormat | undefined, out: string | undefined): ReportFormat {
  if (format) return format;
  const ext = out ? extname(out).slice(1).toLowerCase() : '';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ReportFormat) : 'html';
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
      .option(
        '--format <format>',
        `${REPORT_FORMATS.join('|')} (default: from --out's extension, else html)`,
      )
      .option('--out <file>', 'write the report here (needed for pdf)')
      .option('--schema', "print the JSON report's JSON Schema (docs/report.schema.json) instead"),
  ).action(
    action(
      async (ctx) => {
        const o = ctx.options(ReportOptions);
        if (o.schema) return { text: JSON.stringify(reportJsonSchema(), null, 2) };
        if (ctx.args.length === 0)
          throw new UsageError('give one or more run ids (see `mchair runs list`), or --schema');
        const format = formatFor(o.format, o.out);
        if (!o.out) {
          if (format === 'pdf') throw new UsageError('--out: a PDF report needs a file to go to');
          const runs = await loadReportRuns(ctx.dataDir, ctx.args);
          return format === 'json' ? renderJson(runs) : { text: reportText(runs, format) };
        }
        const runs = await loadReportRuns(ctx.dataDir, ctx.args);
        ctx.say(`rendering ${format} for ${runs.length} run${runs.length === 1 ? '' : 's'}...`);
        await writeReport(runs, format, o.out);
        return { out: o.out, format, runs: runs.map((r) => r.runId) };
      },
      (r) => {
        if (isText(r)) return r.text.replace(/\n$/, '');
        if ('out' in r)
          return `wrote ${r.out} (${r.format}, ${r.runs.length} run${r.runs.length === 1 ? '' : 's'})`;
        return JSON.stringify(r, null, 2);
      },
    ),
  );
}
