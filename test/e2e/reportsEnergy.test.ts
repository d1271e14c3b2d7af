// The Reports view compares runs on energy: a metered run (an emulated farm's meter, recorded the
// way a real run is) shows static, dynamic and total joules per inference from its run.json, the
// paper's published AlexNet systems beside it, and its PDF export prints through Chromium.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
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
    const energy = page.getByRole('figure', { name: 'Energy per inference of 1 runs' });
    await energy.waitFor();

    const j = metered.energy!.perInferenceJ!;
    const ours = energy.locator(`[data-run="${metered.id}"]`);
    expect(await ours.locator('.energy-total').textContent()).toBe(`${j.total.toFixed(3)} J`);
    expect(await ours.textContent()).toContain('emulated');
    // The two segments are static then dynamic, their widths in the figures' ratio.
    const widths = await ours
      .locator('.bars__bar')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(widths).toHaveLength(2);
    expect(widths[0]! / widths[1]!).toBeCloseTo(j.static / j.dynamic, 1);

    const alexnet = PAPER_FIGURES.filter((p) => p.model === 'AlexNet');
    for (const p of alexnet) {
      const row = energy.locator(`[data-run="paper AlexNet ${p.system}"]`);
      expect(await row.locator('.energy-total').textContent()).toBe(`${p.totalJ.toFixed(3)} J`);
    }
    // On one scale: the longest bar is the largest total among ours and the paper's.
    const totals = [j.total, ...alexnet.map((p) => p.totalJ)];
    const track = await ours.locator('.bars__track').boundingBox();
    const full = widths[0]! + widths[1]!;
    expect(full / track!.width).toBeCloseTo(j.total / Math.max(...totals), 2);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/reports-energy.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it("draws a repeated set's mean with error bars of one standard deviation", async () => {
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
    const row = ips.locator('.bars__row', { hasText: `set ${set}` });
    // IPS 2 and 4: mean 3, sample standard deviation sqrt(2).
    expect(await row.locator('.bars__value').textContent()).toBe('3.00 ± 1.41 inferences/s');
    const track = (await row.locator('.bars__track').boundingBox())!;
    const bar = (await row.locator('.bars__whisker').boundingBox())!;
    // The whisker spans mean - sd to mean + sd, on the one scale of every bar (the paper's TX2 GPU
    // at 7.1 IPS is the longest here).
    const longest = Math.max(3 + Math.SQRT2, ...PAPER_FIGURES.map((p) => p.ips));
    expect(bar.width / track.width).toBeCloseTo((2 * Math.SQRT2) / longest, 2);
    const totals = repeats.map((r) => r.energy!.perInferenceJ!.total);
    const mean = (totals[0]! + totals[1]!) / 2;
    const energy = page.getByRole('figure', { name: 'Energy per inference of 2 runs' });
    const set2 = energy.locator(`[data-run="set ${set}"]`);
    expect(await set2.locator('.energy-total').textContent()).toBe(`${mean.toFixed(3)} J`);
    expect((await set2.locator('.energy-sd').textContent())?.trim()).toBe(
      `± ${(Math.abs(totals[0]! - totals[1]!) / Math.SQRT2).toFixed(3)}`,
    );
    expect(await set2.locator('.bars__whisker').count()).toBe(1);
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
