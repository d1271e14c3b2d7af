// The handlers behind the Reports view: deleting a recorded run, exporting one or several runs
// as a report file (HTML, PDF, CSV or JSON) whose bytes go back to the page, which saves them
// where the user chooses (a browser cannot be handed a path on this computer; the PDF comes from
// the printer the adapter gave: Electron's own in the app, Chrome/Chromium/Edge in `serve`), the
// report's paper-style figures as SVG (the same code as the HTML report's), and the paper's
// published figures to draw beside a run; and for the CLI (`mchair report`), a report or one
// figure written to a file on this computer, or its text, and the JSON report's schema.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, InputError } from '../contract/errors';
import { reportJsonSchema } from '../contract/report';
import {
  loadReportRuns,
  PAPER_FIGURES,
  paperModelFor,
  renderReport,
  type PdfPrinter,
  type ReportFormat,
} from '../reports/index';
import { barFigure } from '../reports/figure/bars';
import { figureSpec } from '../reports/figure/figures';
import { renderFigureFile } from '../reports/figure/output';
import { writeFileAtomic } from '../store/atomic';
import { readRun, refuseRunElsewhere, runsDir } from '../store/runs';
import type { EventBus } from '../shared/events';
import type { Handlers } from './dispatch';

const MIME: Record<ReportFormat, string> = {
  html: 'text/html',
  pdf: 'application/pdf',
  csv: 'text/csv',
  json: 'application/json',
};

export function reportHandlers(
  dataDir: string,
  isLive: (runId: string) => boolean,
  printPdf: PdfPrinter,
  events: EventBus,
): Pick<
  Handlers,
  | 'run/delete'
  | 'reports/export'
  | 'reports/figure'
  | 'reports/paper'
  | 'reports/write'
  | 'reports/schema'
> {
  return {
    'run/delete': async ({ runId }) => {
      if (isLive(runId))
        throw new AppError('RUN_LIVE', `run "${runId}" is still running: stop it first`);
      await refuseRunElsewhere(dataDir, runId, 'stop it there first');
      // readRun refuses an id that is not a recorded run, so nothing else is ever removed.
      const { run } = await readRun(dataDir, runId);
      await rm(join(runsDir(dataDir), run.id), { recursive: true, force: true });
      return { deleted: run.id };
    },
    'reports/export': async ({ runIds, format }) => {
      const runs = await loadReportRuns(dataDir, runIds);
      const report = await renderReport(runs, format, printPdf);
      const stem = runIds.length === 1 ? runIds[0] : `compare-${runIds.length}-runs`;
      return {
        fileName: `${stem}.${format}`,
        mime: MIME[format],
        base64: Buffer.from(report).toString('base64'),
      };
    },
    'reports/figure': async ({ runIds, figure, errorBars }) => {
      const spec = figureSpec(figure, await loadReportRuns(dataDir, runIds), errorBars);
      return { svg: spec.groups.length ? barFigure(spec) : null };
    },
    'reports/write': async (req) => {
      const figure = 'figure' in req ? req.figure : undefined;
      // Refused before any run is read: PDF and PNG are bytes, not text to answer with.
      if (!req.out && (req.format === 'pdf' || req.format === 'png'))
        throw new InputError(
          `out: a ${req.format.toUpperCase()} ${figure ? 'figure' : 'report'} needs a file to go to`,
        );
      const runs = await loadReportRuns(dataDir, req.runIds);
      // Said once the runs are read (a bad id is one line alone), and only for a file: without
      // one the answer is the report itself.
      if (req.out)
        events.emit('run/say', {
          runId: null,
          line: figure
            ? `drawing the ${figure} figure as ${req.format}...`
            : `rendering ${req.format} for ${runs.length} run${runs.length === 1 ? '' : 's'}...`,
        });
      const bytes =
        'figure' in req
          ? await renderFigureFile(runs, req.figure, req.format, {
              ...(req.dpi !== undefined ? { dpi: req.dpi } : {}),
              ...(req.errorBars ? { errorBars: req.errorBars } : {}),
            })
          : await renderReport(runs, req.format, printPdf);
      const answer = { runs: runs.map((r) => r.runId), format: req.format, figure };
      if (!req.out) return { ...answer, text: bytes as string };
      await writeFileAtomic(req.out, bytes);
      return { ...answer, out: req.out };
    },
    'reports/schema': async () => reportJsonSchema(),
    'reports/paper': async ({ model }) => {
      const paperModel = paperModelFor(model) ?? null;
      const figures = PAPER_FIGURES.filter((f) => f.model === paperModel).map(
        ({ system, ips, staticJ, dynamicJ, totalJ }) => ({
          system,
          ips,
          staticJ,
          dynamicJ,
          totalJ,
        }),
      );
      return { paperModel, figures };
    },
  };
}
