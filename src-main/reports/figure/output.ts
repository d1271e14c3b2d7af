// One figure alone, as a file for a paper: SVG as drawn (vector), PDF printed by Chromium on a
// page the figure's own size (vector: its text stays text), PNG screenshot at the DPI asked for
// with that DPI recorded in the file, so a journal's checker and a word processor size it right.
import type { Page } from 'playwright-core';
import { writeFileAtomic } from '../../store/atomic';
import { withChromium } from '../pdf';
import { InputError } from '../../contract/index';
import { barFigure } from './bars';
import { FIGURES, figureHasRuns, figureSpec, type FigureId, type FigureRun } from './figures';
import type { ErrorBars } from './spec';
import { DEFAULT_DPI, type FigureFormat } from '../../contract/figure';

export { FIGURES, type FigureId };
export { FIGURE_FORMATS, type FigureFormat } from '../../contract/figure';
/** CSS pixels per inch: a figure's SVG size is in these. */
const CSS_DPI = 96;

export interface FigureOptions {
  dpi?: number;
  errorBars?: ErrorBars;
}

/** The figure's size in CSS pixels, from its root element. */
export function figureSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*\bviewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg);
  if (!m) throw new Error('a figure starts with its <svg viewBox>');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** A page holding the figure and nothing else, sized to it. */
function figurePage(svg: string): string {
  const { width, height } = figureSize(svg);
  return `<!doctype html><html><head><meta charset="utf-8"><style>@page{size:${width}px ${height}px;margin:0}html,body{margin:0;padding:0;overflow:hidden}svg{display:block}</style></head><body>${svg}</body></html>`;
}

async function load(page: Page, svg: string): Promise<void> {
  await page.setContent(figurePage(svg), { waitUntil: 'load' });
  // The figure's widths were planned in its font: wait until Chromium has it too.
  await page.evaluate('document.fonts.ready.then(() => undefined)');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The PNG with a pHYs chunk (pixels per metre) right after its header, saying its DPI. */
export function withDpi(png: Uint8Array, dpi: number): Uint8Array {
  const IHDR_END = 8 + 4 + 4 + 13 + 4;
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write('pHYs', 4, 'latin1');
  const ppm = Math.round(dpi / 0.0254);
  chunk.writeUInt32BE(ppm, 8);
  chunk.writeUInt32BE(ppm, 12);
  chunk.writeUInt8(1, 16);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return Buffer.concat([png.subarray(0, IHDR_END), chunk, png.subarray(IHDR_END)]);
}

/** The figure's bytes (PNG, PDF) or text (SVG). */
export async function renderFigureFile(
  runs: readonly FigureRun[],
  figure: FigureId,
  format: FigureFormat,
  opts: FigureOptions = {},
): Promise<string | Uint8Array> {
  const spec = figureSpec(figure, runs, opts.errorBars);
  if (!figureHasRuns(spec))
    throw new InputError(
      figure === 'ips'
        ? 'no run given has an IPS (each was too short for a measured window): nothing to draw'
        : 'no run given has energy per inference (none was metered, or each was too short for a measured window): nothing to draw',
    );
  const svg = barFigure(spec);
  if (format === 'svg') return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;
  const { width, height } = figureSize(svg);
  const dpi = opts.dpi ?? DEFAULT_DPI;
  return withChromium(async (browser) => {
    if (format === 'pdf') {
      const page = await browser.newPage();
      await load(page, svg);
      return page.pdf({
        width: `${width}px`,
        height: `${height}px`,
        printBackground: true,
        pageRanges: '1',
        margin: { top: '0', bottom: '0', left: '0', right: '0' },
      });
    }
    const page = await browser.newPage({
      viewport: { width, height },
      deviceScaleFactor: dpi / CSS_DPI,
    });
    await load(page, svg);
    return withDpi(await page.screenshot({ clip: { x: 0, y: 0, width, height } }), dpi);
  });
}

export async function writeFigure(
  runs: readonly FigureRun[],
  figure: FigureId,
  format: FigureFormat,
  outFile: string,
  opts: FigureOptions = {},
): Promise<void> {
  await writeFileAtomic(outFile, await renderFigureFile(runs, figure, format, opts));
}
