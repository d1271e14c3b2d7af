// PDF reports: the HTML report printed by a Chromium-family browser. The CLI and `serve` drive
// the system's Chrome, Chromium or Edge through playwright-core; the desktop app passes its own
// printer (Electron's printToPDF, src-main/electron/pdf.ts), so a lab laptop needs no browser.
import { access } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { AppError } from '../contract/index';

/** Prints a whole HTML document to PDF bytes. */
export type PdfPrinter = (html: string) => Promise<Uint8Array>;

const LINUX = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/snap/bin/chromium',
];

const MAC_APPS = [
  'Google Chrome.app/Contents/MacOS/Google Chrome',
  'Chromium.app/Contents/MacOS/Chromium',
  'Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
];

const WINDOWS_APPS = [
  'Google\\Chrome\\Application\\chrome.exe',
  'Chromium\\Application\\chrome.exe',
  'Microsoft\\Edge\\Application\\msedge.exe',
];

/**
 * Where Chrome, Chromium and Edge install themselves on this platform, in the order tried:
 * macOS in /Applications then the user's ~/Applications; Windows under Program Files (both
 * bitnesses) then the per-user LOCALAPPDATA install Chrome does without admin rights.
 */
export function browserCandidates(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'darwin') {
    const roots = ['/Applications', ...(env.HOME ? [`${env.HOME}/Applications`] : [])];
    return roots.flatMap((root) => MAC_APPS.map((app) => `${root}/${app}`));
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(
      (r): r is string => Boolean(r),
    );
    // Windows paths joined by hand: this may run (and be tested) on Linux.
    return roots.flatMap((root) => WINDOWS_APPS.map((app) => `${root.replace(/\\$/, '')}\\${app}`));
  }
  return LINUX;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface BrowserLookup {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Whether a file is there; the real filesystem unless a test gives its own. */
  exists?: (path: string) => Promise<boolean>;
}

export async function findChromium(lookup: BrowserLookup = {}): Promise<string> {
  const env = lookup.env ?? process.env;
  const has = lookup.exists ?? exists;
  const wanted = env.MCHAIR_CHROMIUM
    ? [env.MCHAIR_CHROMIUM]
    : browserCandidates(lookup.platform ?? process.platform, env);
  for (const path of wanted) if (await has(path)) return path;
  throw new AppError(
    'NO_CHROMIUM',
    `PDF reports are printed by Chrome, Chromium or Edge and none was found at ${wanted.join(', ')}; install one or set MCHAIR_CHROMIUM to its program`,
  );
}

/** Runs `use` with a headless Chrome, Chromium or Edge, closed however `use` ends. */
export async function withChromium<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const executablePath = await findChromium();
  // Loaded on demand: playwright-core is large and only PDF and PNG output need it, so every
  // other command starts faster.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

/** The CLI's and `serve`'s printer: headless Chrome, Chromium or Edge. */
export const chromiumPdf: PdfPrinter = (html) =>
  withChromium(async (browser) => {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    const mm = (n: number): string => `${n}mm`;
    return page.pdf({
      format: 'A4',
      printBackground: true,
      margin: {
        top: mm(PDF_MARGINS_MM.top),
        bottom: mm(PDF_MARGINS_MM.bottom),
        left: mm(PDF_MARGINS_MM.left),
        right: mm(PDF_MARGINS_MM.right),
      },
    });
  });

/** One page setup for every printer (A4, backgrounds printed), so the app's PDF and the CLI's look alike. */
export const PDF_MARGINS_MM = { top: 12, bottom: 12, left: 10, right: 10 } as const;
