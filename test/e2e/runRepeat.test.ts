// The Run view's Repeat field (issue 18 must 2), in Chromium against a real `mchair serve`: a run
// repeated three times on emulated boards records three runs of one set, one after another, the
// view following each in turn; the Reports view then draws the set as one column with error bars.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('the Run view repeats a run', () => {
  it('records the set, one run after another, and the Reports view shows its spread', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Run');
    const setup = page.getByRole('form', { name: 'Run setup' });
    await setup.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await setup.getByRole('textbox', { name: 'Emulated boards for this run' }).fill('pi3:2');
    await setup.getByRole('spinbutton', { name: 'Frames' }).fill('20');
    await setup.getByRole('spinbutton', { name: 'Repeat' }).fill('3');
    await setup.getByRole('button', { name: 'Start run' }).click();

    await page.locator('.state[data-state]').first().waitFor({ timeout: 120_000 });
    await lab.openView('Reports');
    const rows = page.locator('tbody tr', { hasText: 'tiny-cnn' });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh run list' }).click();
          const states = await rows.locator('td:nth-child(4)').allTextContents();
          return states.filter((s) => s === 'done').length;
        },
        { timeout: 240_000, interval: 2000 },
      )
      .toBe(3);
    expect(await rows.count()).toBe(3);
    for (const box of await rows.getByRole('checkbox').all()) await box.check();
    // The figure names the runs it was drawn for, so this waits for the drawing of all three, not
    // an earlier answer for the first two (which once read "(2 runs)" under this name).
    const ips = page.getByRole('figure', { name: 'Inferences per second of 3 runs' });
    await ips.locator('path.errorbar').waitFor();
    // One column for the three runs: their mean, error bars over them.
    expect(await ips.locator('rect.bar:not([data-source="paper"])').count()).toBe(1);
    const labels = await ips.locator('text.column').allTextContents();
    expect(
      labels.filter((l) => l.includes('(3\u00a0runs)')),
      labels.join(' | '),
    ).toHaveLength(1);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 300_000);
});
