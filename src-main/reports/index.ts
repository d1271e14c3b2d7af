// Reports on recorded runs: load each run's folder and render it as HTML, PDF, CSV or JSON.
import { writeFileAtomic } from '../store/atomic';
import { renderHtml } from './html';
import { loadRunFolder } from './load';
import { printPdf } from './pdf';
import { reportRun, type ReportRun } from './run';
import { renderCsv, renderJson } from './tables';

export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export { renderCsv, renderHtml, renderJson, reportRun, type ReportRun };
export { PAPER_FIGURES, paperModelFor, type PaperFigure } from './paper';

export async function loadReportRuns(
  dataDir: string,
  ids: readonly string[],
): Promise<ReportRun[]> {
  return Promise.all(ids.map(async (id) => reportRun(await loadRunFolder(dataDir, id))));
}

/** Renders the runs in a format; a PDF can only go to a file. */
export async function writeReport(
  runs: readonly ReportRun[],
  format: ReportFormat,
  outFile: string,
): Promise<void> {
  if (format === 'pdf') return printPdf(renderHtml(runs), outFile);
  const text =
    format === 'html'
      ? renderHtml(runs)
      : format === 'csv'
        ? renderCsv(runs)
        : `${JSON.stringify(renderJson(runs), null, 2)}\n`;
  await writeFileAtomic(outFile, text);
}

/** The text of a report, for stdout. */
export function reportText(
  runs: readonly ReportRun[],
  format: Exclude<ReportFormat, 'pdf'>,
): string {
  return format === 'html'
    ? renderHtml(runs)
    : format === 'csv'
      ? renderCsv(runs)
      : JSON.stringify(renderJson(runs));
}
