// Recognition live in Chromium against a real `mchair serve`: the trained float16 SqueezeNet 1.1
// of the fixtures imported into serve's library, Chromium's fake camera playing the kitten photo
// (a Y4M file written here), and the Run view's preview naming "tabby, tabby cat" as top-1 with
// its probability while the frames go through emulated boards.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const FIXTURE = join(__dirname, '../fixtures/squeezenet1.1-fp16');

/**
 * A YUV4MPEG2 clip of `frames` copies of an RGBA picture, 4:2:0 (each chroma sample the mean of
 * a 2x2 block), BT.601 limited range: what Chromium's fake camera plays from a file.
 */
function y4mOf(
  picture: { width: number; height: number; data: Uint8Array },
  frames: number,
): Buffer {
  const { width: w, height: h, data } = picture;
  if (w % 2 || h % 2) throw new Error('a 4:2:0 picture has an even width and height');
  const y = Buffer.alloc(w * h);
  const u = Buffer.alloc((w / 2) * (h / 2));
  const v = Buffer.alloc((w / 2) * (h / 2));
  const rgb = (i: number) => [data[i * 4]! / 255, data[i * 4 + 1]! / 255, data[i * 4 + 2]! / 255];
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = rgb(i) as [number, number, number];
    y[i] = Math.round(16 + 65.481 * r + 128.553 * g + 24.966 * b);
  }
  for (let cy = 0; cy < h / 2; cy++)
    for (let cx = 0; cx < w / 2; cx++) {
      let cb = 0;
      let cr = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const [r, g, b] = rgb((cy * 2 + dy) * w + cx * 2 + dx) as [number, number, number];
        cb += 128 - 37.797 * r - 74.203 * g + 112 * b;
        cr += 128 + 112 * r - 93.786 * g - 18.214 * b;
      }
      u[cy * (w / 2) + cx] = Math.round(cb / 4);
      v[cy * (w / 2) + cx] = Math.round(cr / 4);
    }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${w} H${h} F15:1 Ip A1:1 C420jpeg\n`),
    ...Array.from({ length: frames }, () => frame),
  ]);
}

let serve: ServeProcess;
let browser: Browser;
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'mchair-kitten-'));
  const clip = join(folder, 'kitten.y4m');
  await writeFile(clip, y4mOf(PNG.sync.read(readFileSync(join(FIXTURE, 'kitten_224.png'))), 8));
  serve = await startServe();
  // Into serve's own library, as a user's `mchair model import` beside the app does.
  await promisify(execFile)(
    process.execPath,
    ['bin/mchair.js', 'model', 'import', join(FIXTURE, 'model.onnx')],
    { env: { ...process.env, MCHAIR_HOME: serve.dataDir } },
  );
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip}`],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await rm(folder, { recursive: true, force: true });
});

describe('the Run view recognises what the camera sees (Chromium, fake camera, trained model)', () => {
  it('names the kitten a tabby with its probability while frames go through emulated boards', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Run');
    await page.getByRole('combobox', { name: 'Model' }).selectOption('squeezenet1.1-fp16');
    await page.getByRole('textbox', { name: 'Emulated boards for this run' }).fill('pi3:2');
    await page.getByRole('radio', { name: 'Camera' }).check();
    const camera = page.getByRole('combobox', { name: 'Camera' });
    // Chromium names the fake camera after the file it plays.
    await expect.poll(() => camera.locator('option').first().textContent()).toMatch(/kitten\.y4m/);
    await page.getByRole('button', { name: 'Start run' }).click();

    const top5 = page.getByRole('list', { name: 'Top 5 classes' });
    await top5.waitFor({ timeout: 120_000 });
    const first = top5.getByRole('listitem').first();
    await expect
      .poll(() => first.locator('[data-test="label"]').textContent(), { timeout: 30_000 })
      .toBe('tabby, tabby cat');
    const shown = (await first.locator('[data-test="probability"]').textContent()) ?? '';
    const percent = Number(/^([\d.]+)%$/.exec(shown.trim())?.[1]);
    // The photo's 93% through the camera's 4:2:0 colour and the page's canvas (measured 93.8%).
    expect(Math.abs(percent - 93)).toBeLessThanOrEqual(5);
    // A trained model's labels carry no warning.
    expect(await page.getByRole('figure', { name: 'Live preview' }).textContent()).not.toContain(
      'mean nothing',
    );
    const state = page.locator('[data-state]');
    expect(await state.getAttribute('data-state')).toBe('running');
    const completed = page.getByRole('definition').nth(1);
    await expect
      .poll(async () => Number(await completed.textContent()), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await page.screenshot({
      path: `${process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e'}/run-kitten.png`,
      fullPage: true,
    });
    await page.getByRole('button', { name: 'Stop run' }).click();
    await page.locator('[data-test="run-summary"]').waitFor({ timeout: 60_000 });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 300_000);
});
