// The app's PDF printer: Electron's own Chromium prints the HTML report (webContents.printToPDF
// in a hidden offscreen window), so a lab laptop needs no browser installed for PDF reports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserWindow, session } from 'electron';
import { PDF_MARGINS_MM, type PdfPrinter } from '../reports/pdf';
import { hardenSession } from './security';

const PARTITION = 'mchair-report-pdf';
const inches = (mm: number): number => mm / 25.4;

export function electronPdfPrinter(isAppUrl: (url: string) => boolean): PdfPrinter {
  // An in-memory session of its own: the report page shares no storage with the app's page,
  // and gets every permission refused.
  hardenSession(session.fromPartition(PARTITION), isAppUrl);
  return async (html) => {
    // A file, not a data: URL: Chromium caps URLs at 2 MB and a report with long power traces
    // can be larger.
    const dir = await mkdtemp(join(tmpdir(), 'mchair-pdf-'));
    const win = new BrowserWindow({
      show: false,
      webPreferences: {
        offscreen: true,
        partition: PARTITION,
        // The report is static HTML and inline SVG: nothing in it needs scripts.
        javascript: false,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
      },
    });
    try {
      const file = join(dir, 'report.html');
      await writeFile(file, html);
      await win.loadFile(file);
      return await win.webContents.printToPDF({
        pageSize: 'A4',
        printBackground: true,
        margins: {
          marginType: 'custom',
          top: inches(PDF_MARGINS_MM.top),
          bottom: inches(PDF_MARGINS_MM.bottom),
          left: inches(PDF_MARGINS_MM.left),
          right: inches(PDF_MARGINS_MM.right),
        },
      });
    } finally {
      win.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  };
}
