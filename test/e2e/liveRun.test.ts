// The full flow in Chromium against a real `mchair serve`: start the virtual farm from
// the Farm view, plan on it, deploy the best plan, run it with Chromium's fake camera (frames
// captured in the page, top-5 over the preview, page counters), stop, export the run's report,
// then an image folder and a video file from the page (paced: every frame sent, none dropped),
// and stop the virtual farm. Screenshots of each new state go where `npm run screenshots` says.
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

/** The canvas calls the pixel check makes (this file is type-checked without the DOM library). */
interface PreviewCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

/**
 * Page script: records 20 coloured frames from a canvas with MediaRecorder and returns the WebM
 * as base64 (a string, since this file is type-checked without the DOM library).
 */
const RECORD_WEBM = `(async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const ctx = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm' });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  const stopped = new Promise((r) => (recorder.onstop = r));
  recorder.start();
  for (let i = 0; i < 20; i++) {
    ctx.fillStyle = 'hsl(' + i * 18 + ' 80% 50%)';
    ctx.fillRect(0, 0, 160, 120);
    await new Promise((r) => setTimeout(r, 60));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
})()`;

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let serve: ServeProcess;
let browser: Browser;
let lab: LabPage | null = null;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await lab?.stopVirtualFarm();
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('start farm, plan, run with the camera, export (Chromium, fake camera)', () => {
  it('goes through the whole flow', async () => {
    lab = await LabPage.open(browser, serve.url);
    const page = lab.page;

    await lab.startVirtualFarm('pi4:2', 2);
    expect(
      await page.getByRole('table', { name: 'Virtual farm boards' }).getByRole('row').count(),
    ).toBe(3);
    // Each board's readings from its agent: memory always, temperature and power where it has them.
    const memory = page
      .getByRole('table', { name: 'Virtual farm boards' })
      .locator('[data-test="memory"]');
    await expect.poll(() => memory.first().textContent()).toMatch(/\d+(\.\d)? MiB/);
    await expect
      .poll(() => page.locator('[data-test="cpu"]').first().textContent())
      .toMatch(/\d+\.\d%/);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/farm-virtual.png`, fullPage: true });

    await lab.openView('Plan');
    // The Plan view takes the boards of the virtual farm that is up.
    await expect.poll(() => page.getByRole('spinbutton', { name: 'pi4' }).inputValue()).toBe('2');
    expect(await page.getByRole('spinbutton', { name: 'pi3' }).inputValue()).toBe('0');
    await page.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    const deploy = page.getByRole('button', { name: 'Deploy best plan…' });
    await deploy.waitFor({ timeout: 60_000 });
    await page.getByText('on the virtual farm that is up').waitFor();
    await deploy.click();

    await page.getByRole('heading', { level: 1, name: 'Run' }).waitFor();
    await page.getByText('from the Plan view').waitFor();
    await page.getByText('Farm: the virtual farm that is up.').waitFor();
    await page.getByRole('radio', { name: 'Camera' }).check();
    // Chromium's fake camera, named once the page may use it.
    const camera = page.getByRole('combobox', { name: 'Camera' });
    await expect.poll(() => camera.locator('option').first().textContent()).toMatch(/fake/i);
    await page.getByRole('button', { name: 'Start run' }).click();

    const top5 = page.getByRole('list', { name: 'Top 5 classes' });
    await top5.waitFor({ timeout: 90_000 });
    expect(await top5.getByRole('listitem').count()).toBe(5);
    const state = page.locator('[data-state]');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    // The page's counters move: frames handed over, and completed ones in the run's counters.
    const preview = page.getByRole('figure', { name: 'Live preview' });
    await expect
      .poll(
        async () => Number(/(\d+) handed over/.exec((await preview.textContent()) ?? '')?.[1] ?? 0),
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(5);
    await expect(preview.textContent()).resolves.toContain('its labels mean nothing');
    const completed = page.getByRole('definition').nth(1);
    await expect
      .poll(async () => Number(await completed.textContent()), { timeout: 30_000 })
      .toBeGreaterThan(0);
    // The preview canvas shows the fake camera's picture, not an empty frame.
    const lit = await page
      .getByRole('img', { name: 'The picture last sent to the farm' })
      .evaluate((el) => {
        const c = el as unknown as PreviewCanvas;
        const d =
          c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
          if ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0) > 60) n++;
        return n;
      });
    expect(lit).toBeGreaterThan(1000);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/run-camera.png`, fullPage: true });

    await page.getByRole('button', { name: 'Stop run' }).click();
    await page.locator('[data-test="run-summary"]').waitFor({ timeout: 60_000 });
    const runId = (await state.locator('code').textContent())?.trim() ?? '';
    expect(runId).not.toBe('');
    expect(await state.getAttribute('data-state')).toBe('stopped');

    await lab.openView('Reports');
    await page.getByRole('checkbox', { name: `Choose run ${runId}` }).check();
    await page.getByRole('combobox', { name: 'Format' }).selectOption('html');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export 1 run' }).click(),
    ]);
    const html = await readFile(await download.path(), 'utf8');
    expect(html).toContain(runId);
    expect(html).toContain('tiny-cnn');

    // An image folder from the page: paced by the farm, so every frame is sent and none dropped.
    const folder = await mkdtemp(join(tmpdir(), 'mchair-images-'));
    try {
      for (const [i, rgb] of [
        [200, 30, 30],
        [30, 200, 30],
        [30, 30, 200],
      ].entries()) {
        const png = new PNG({ width: 64, height: 48 });
        for (let p = 0; p < 64 * 48; p++) png.data.set([...rgb, 255] as number[], p * 4);
        await writeFile(join(folder, `img-${i}.png`), PNG.sync.write(png));
      }
      await lab.openView('Run');
      await page.getByRole('radio', { name: 'Image folder' }).check();
      // The radio is named "Image folder" too: the file chooser is the one that takes files.
      await page.locator('input[type="file"]').setInputFiles(folder);
      await page.getByText('3 files').waitFor();
      await page.getByRole('spinbutton', { name: 'Frames' }).fill('9');
      await page.getByRole('button', { name: 'Start run' }).click();
      await expect
        .poll(
          async () => {
            const id = (await state.locator('code').textContent())?.trim();
            return id !== runId ? state.getAttribute('data-state') : null;
          },
          { timeout: 90_000 },
        )
        .toBe('done');
      await page.locator('[data-test="run-summary"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-test="run-summary"]').textContent()).toContain('9 of 9');
      await expect.poll(() => preview.textContent()).toContain('9 handed over, 0 dropped');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }

    // A video file from the page, stepped frame by frame: a WebM Chromium records itself (such
    // recordings carry no duration, the case the feed has to work out).
    const webm = String(await page.evaluate(RECORD_WEBM));
    await page.getByRole('radio', { name: 'Video file' }).check();
    await page.locator('input[type="file"]').setInputFiles({
      name: 'clip.webm',
      mimeType: 'video/webm',
      buffer: Buffer.from(webm, 'base64'),
    });
    await page.getByRole('spinbutton', { name: 'Frames' }).fill('8');
    const before = (await state.locator('code').textContent())?.trim();
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect
      .poll(
        async () => {
          const id = (await state.locator('code').textContent())?.trim();
          return id !== before ? state.getAttribute('data-state') : null;
        },
        { timeout: 90_000 },
      )
      .toBe('done');
    await expect.poll(() => preview.textContent()).toContain('8 handed over, 0 dropped');

    await lab.openView('Farm');
    await page.getByRole('button', { name: 'Stop virtual farm' }).click();
    await page.getByRole('button', { name: 'Start virtual farm' }).waitFor({ timeout: 30_000 });
    expect(lab.consoleErrors).toEqual([]);
  }, 300_000);
});
