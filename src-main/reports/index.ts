// Reports on recorded runs: load each run's folder and render it as HTML, PDF, CSV or JSON.
import { writeFileAtomic } from '../store/atomic';
import { renderHtml } from './html';
import { loadRunFolder } from './load';
import { chromiumPdf, type PdfPrinter } from './pdf';
import { reportRun, type ReportRun } from './run';
import { renderCsv, renderJson } from './tables';
import type { ReportFormat } from '../contract/figure';

export { REPORT_FORMATS, type ReportFormat } from '../contract/figure';

export { renderCsv, renderHtml, renderJson, reportRun, type ReportRun };
export { chromiumPdf, type PdfPrinter } from './pdf';
export { PAPER_FIGURES, paperModelFor, type PaperFigure } from './paper';

export async function loadReportRuns(
  dataDir: string,
  ids: readonly string[],
): Promise<ReportRun[]> {
  return Promise.all(ids.map(async (id) => reportRun(await loadRunFolder(dataDir, id))));
}

/** A report's bytes (PDF) or text (the others, JSON indented for reading). */
export async function renderReport(
  runs: readonly ReportRun[],
  format: ReportFormat,
  printPdf: PdfPrinter = chromiumPdf,
): Promise<string | Uint8Array> {
  if (format === 'pdf') return printPdf(renderHtml(runs));
  return format === 'json'
    ? `${JSON.stringify(renderJson(runs), null, 2)}\n`
    : reportText(runs, format);
}

export async function writeReport(
  runs: readonly ReportRun[],
  format: ReportFormat,
  outFile: string,
  printPdf: PdfPrinter = chromiumPdf,
): Promise<void> {
  await writeFileAtomic(outFile, await renderReport(runs, format, printPdf));
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
