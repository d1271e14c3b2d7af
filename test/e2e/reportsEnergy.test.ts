// The Reports view compares runs on energy with the report's own figures: a metered run (an
// emulated farm's meter, recorded the way a real run is) shows static, dynamic and total joules
// per inference from its run.json, the paper's published AlexNet systems beside it, a repeated
// set its error bars, and its PDF export prints through Chromium.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/index';
import { PAPER_FIGURES } from '../../src-main/reports/paper';
import { recordEmulatedRun } from '../integration/reports/fixtures';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

// `npm run screenshots` points this at docs/screenshots.
const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let serve: ServeProcess;
let browser: Browser;
let metered: RunSummary;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  serve = await startServe();
  metered = await recordEmulatedRun(serve.dataDir);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('the Reports view on energy', () => {
  it("draws a run's static, dynamic and total J per inference beside the paper's", async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Reports');
    await page.getByRole('checkbox', { name: `Choose run ${metered.id}` }).check();
    const split = page.getByRole('figure', {
      name: 'Energy per inference, static and dynamic of 1 runs',
    });
    await split.locator('svg').waitFor();
    const values = (figure: Locator, series: string, source: string): Promise<number[]> =>
      figure
        .locator(`rect.bar[data-series="${series}"][data-source="${source}"]`)
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));

    // The figures are run.json's, drawn by the report's own figure code.
    const j = metered.energy!.perInferenceJ!;
    expect(await values(split, 'staticJ', 'emulated')).toEqual([j.static]);
    expect(await values(split, 'dynamicJ', 'emulated')).toEqual([j.dynamic]);
    const total = page.getByRole('figure', { name: 'Total energy per inference of 1 runs' });
    expect(await values(total, 'totalJ', 'emulated')).toEqual([j.total]);
    const alexnet = PAPER_FIGURES.filter((p) => p.model === 'AlexNet');
    expect(await values(total, 'totalJ', 'paper')).toEqual(alexnet.map((p) => p.totalJ));
    expect(await values(split, 'staticJ', 'paper')).toEqual(alexnet.map((p) => p.staticJ));
    // The emulated mark once under our column, the paper's once under its four.
    expect(await split.locator('text.mark').allTextContents()).toEqual([
      'emulated here',
      "paper (ReQuEST'18)",
    ]);
    // On one scale: bar heights in the ratio of their values (ours against the paper's TX2 GPU).
    const height = (sel: string) =>
      total.locator(sel).evaluate((e) => Number(e.getAttribute('height')));
    const ours = await height('rect.bar[data-source="emulated"]');
    const tx2 = await height('rect.bar[data-source="paper"][data-column="TX2 GPU"]');
    expect(ours / tx2).toBeCloseTo(j.total / alexnet[0]!.totalJ, 1);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/reports-energy.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it("draws a repeated set's mean with error bars, its range or one standard deviation", async () => {
    const set = '20261206-040000-5e7000';
    const repeats = [
      await recordEmulatedRun(serve.dataDir, { ips: 2, repeat: { set, index: 1, of: 2 } }),
      await recordEmulatedRun(serve.dataDir, { ips: 4, repeat: { set, index: 2, of: 2 } }),
    ];
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Reports');
    for (const r of repeats)
      await page.getByRole('checkbox', { name: `Choose run ${r.id}` }).check();
    const ips = page.getByRole('figure', { name: 'Inferences per second of 2 runs' });
    const ends = () =>
      ips
        .locator('path.errorbar')
        .evaluateAll((els) =>
          els.map((e) => [Number(e.getAttribute('data-low')), Number(e.getAttribute('data-high'))]),
        );
    await ips.locator('path.errorbar').waitFor();
    // One column for the set: the mean of IPS 2 and 4, error bars from 2 to 4.
    expect(
      await ips
        .locator('rect.bar[data-source="emulated"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-value'))),
    ).toEqual(['3']);
    expect(await ends()).toEqual([[2, 4]]);
    expect(await ips.locator('text', { hasText: 'minimum to maximum' }).count()).toBe(1);
    // Mean ± the sample standard deviation, sqrt(2).
    await page.getByRole('combobox', { name: 'Error bars' }).selectOption('sd');
    await ips.locator('text', { hasText: 'standard deviation' }).waitFor();
    const [[lo, hi]] = (await ends()) as [[number, number]];
    expect(lo).toBeCloseTo(3 - Math.SQRT2, 9);
    expect(hi).toBeCloseTo(3 + Math.SQRT2, 9);
    const split = page.getByRole('figure', {
      name: 'Energy per inference, static and dynamic of 2 runs',
    });
    expect(await split.locator('path.errorbar').count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}/reports-repeats.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('exports the compared run as a PDF printed by Chromium', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Reports');
    await page.getByRole('checkbox', { name: `Choose run ${metered.id}` }).check();
    await page.getByRole('combobox', { name: 'Format' }).selectOption('pdf');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Export 1 run' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${metered.id}.pdf`);
    const bytes = await readFile(await download.path());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(10_000);
    await lab.close();
  });
});
