// PDF reports: the HTML report printed by headless Chromium (playwright-core driving the system's
// Chromium; the desktop app prints the same HTML with Electron's printToPDF).
import { access } from 'node:fs/promises';
import { AppError } from '../contract/index';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const wanted = env.MCHAIR_CHROMIUM ? [env.MCHAIR_CHROMIUM] : CANDIDATES;
  for (const path of wanted) {
    try {
      await access(path);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new AppError(
    'NO_CHROMIUM',
    `PDF reports are printed by Chromium and none was found at ${wanted.join(', ')}; install it (apt-get install chromium) or set MCHAIR_CHROMIUM`,
  );
}

export async function printPdf(html: string, outFile: string): Promise<void> {
  const executablePath = await findChromium();
  // Loaded on demand: playwright-core is large and only PDF output needs it, so every other
  // command starts faster.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    await page.pdf({
      path: outFile,
      format: 'A4',
      printBackground: true,
      margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
    });
  } finally {
    await browser.close();
  }
}
