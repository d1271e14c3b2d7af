// A board that joins mid-run, in Chromium against a real `mchair serve`: start a two-Pi 3 virtual
// farm in the Farm view, start a run of alexnet-mc on it in the Run view, add a Pi 4 in the
// Virtual farm panel while it goes, and see the run take it in: "board joined: pi4-1, +N%
// predicted" among the board changes, and the plan diagram redrawn with pi4-1 in it.
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

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
  await lab?.page
    .getByRole('button', { name: 'Stop run' })
    .click({ timeout: 2000 })
    .catch(() => undefined);
  await lab?.stopVirtualFarm();
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('a board added in the Virtual farm panel while a run goes (Chromium)', () => {
  it('joins the run: the join event and the plan diagram with it', async () => {
    lab = await LabPage.open(browser, serve.url);
    const page = lab.page;

    await lab.startVirtualFarm('pi3:2', 2);

    await lab.openView('Run');
    await page.getByText('Farm: the virtual farm that is up.').waitFor();
    await page.getByRole('combobox', { name: 'Model' }).selectOption('alexnet-mc');
    await page.getByRole('radio', { name: 'Synthetic' }).check();
    await page.getByRole('spinbutton', { name: 'Frames' }).fill('400');
    await page.getByRole('button', { name: 'Start run' }).click();
    const state = page.locator('[data-state]');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 60_000 }).toBe('running');
    // The plan the run started with: the two Pi 3s, no pi4-1 yet.
    const diagram = page.locator('[data-test="run-plan"]');
    await diagram.waitFor({ timeout: 30_000 });
    expect(await diagram.textContent()).toContain('pi3-1');
    expect(await diagram.textContent()).not.toContain('pi4-1');
    const completed = page.getByRole('definition').nth(1);
    await expect
      .poll(async () => Number(await completed.textContent()), { timeout: 60_000 })
      .toBeGreaterThan(5);

    await lab.openView('Farm');
    await page.getByRole('textbox', { name: /More boards/ }).fill('pi4:1');
    await page.getByRole('button', { name: 'Add boards' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '3 of 3 emulated boards answering' })
      .waitFor({ timeout: 60_000 });
    expect(
      await page.getByRole('table', { name: 'Virtual farm boards' }).getByText('pi4-1').count(),
    ).toBe(1);
    expect(await lab.unnamedControls()).toEqual([]);

    await lab.openView('Run');
    const joined = page.locator('[data-test="run-faults"] li[data-kind="joined"]');
    await joined.waitFor({ timeout: 60_000 });
    const line = (await joined.textContent()) ?? '';
    // pi3:2 predicts 3.64 IPS, with pi4-1 7.93: +118%.
    const gain = Number(/board joined: pi4-1, \+(\d+)% predicted/.exec(line)?.[1]);
    expect(gain, line).toBeGreaterThanOrEqual(5);
    await expect.poll(() => diagram.textContent(), { timeout: 30_000 }).toContain('pi4-1');
    await page.screenshot({ path: `${SHOTS}/run-board-joined.png`, fullPage: true });

    await page.getByRole('button', { name: 'Stop run' }).click();
    await page.locator('[data-test="run-summary"]').waitFor({ timeout: 90_000 });
    expect(await state.getAttribute('data-state')).toBe('stopped');
    expect(lab.consoleErrors).toEqual([]);
  }, 300_000);
});
