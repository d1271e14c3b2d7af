// The Farm view's Profile action in Chromium against a real `mchair serve`: a 2-board virtual
// farm started from the view, one board profiled (progress shown while the probes run, then
// "measured <date>" beside it, the other still built in), then Profile all with Cancel, and the
// Plan view's plan and the Run view's run saying which profile and link each board's figures
// come from.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

let serve: ServeProcess;
let browser: Browser;
let lab: LabPage | null = null;

beforeAll(async () => {
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await lab?.stopVirtualFarm();
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('Farm view: Profile (Chromium)', () => {
  it('profiles a board with progress, then shows it measured', async () => {
    lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.startVirtualFarm('pi3:2', 2);
    const boards = page.getByRole('table', { name: 'Virtual farm boards' });
    const sourceOf = (id: string) =>
      boards.getByRole('row').filter({ hasText: id }).locator('[data-profile-source]');
    await expect.poll(() => sourceOf('pi3-1').getAttribute('data-profile-source')).toBe('built in');

    await page.getByRole('button', { name: 'Profile pi3-1' }).click();
    // Progress while the probes run: the step under way and a bar.
    const progress = page.getByRole('region', { name: 'Profiling progress (virtual)' });
    await progress
      .getByRole('status')
      .filter({ hasText: /Profiling: probe / })
      .waitFor({ timeout: 60_000 });
    expect(await page.getByRole('button', { name: 'Profile pi3-2' }).isDisabled()).toBe(true);
    await progress.waitFor({ state: 'detached', timeout: 180_000 });
    await expect
      .poll(() => sourceOf('pi3-1').getAttribute('data-profile-source'))
      .toMatch(/^measured \d{4}-\d\d-\d\d \(emulated board\)$/);
    expect(await sourceOf('pi3-2').getAttribute('data-profile-source')).toBe('built in');
    expect(await lab.unnamedControls()).toEqual([]);

    // Profile all, cancelled: nothing more is kept and the view says so.
    await page.getByRole('button', { name: 'Profile all' }).click();
    await progress
      .getByRole('status')
      .filter({ hasText: /Profiling: probe / })
      .waitFor({ timeout: 60_000 });
    await progress.getByRole('button', { name: 'Cancel profiling' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'profiling was cancelled' })
      .waitFor({ timeout: 120_000 });
    expect(await sourceOf('pi3-2').getAttribute('data-profile-source')).toBe('built in');

    // The Plan view's plan says where each board's figures come from.
    await lab.openView('Plan');
    await expect.poll(() => page.getByRole('spinbutton', { name: 'pi3' }).inputValue()).toBe('2');
    await page.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page
      .getByRole('cell', { name: /^pi3-1: measured \d{4}-\d\d-\d\d/ })
      .waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: 'pi3-2: built in' }).waitFor();
    // An emulated board's link is the farm's own, paced by the emulator: built in, said so.
    await page
      .getByRole('cell', { name: 'pi3-1 link: wifi-2.4 40 Mbit/s, 3 ms, built in' })
      .waitFor();

    // The Run view's run of the planner's best says the same, board by board.
    await lab.openView('Run');
    await page.getByRole('radio', { name: 'Synthetic' }).check();
    await page.getByRole('spinbutton', { name: 'Frames' }).fill('6');
    await page.getByRole('button', { name: 'Start run' }).click();
    const sources = page.locator('[data-test="run-plan-sources"]');
    await sources.waitFor({ timeout: 90_000 });
    expect(await sources.textContent()).toMatch(
      /Profiles: measured \d{4}-\d\d-\d\d \(emulated board\) \(pi3-1\); built in \(pi3-2\)\. Links: wifi-2\.4 40 Mbit\/s, 3 ms, built in \(pi3-1, pi3-2\)\./,
    );
    const state = page.locator('[data-state]');
    await expect
      .poll(() => state.getAttribute('data-state'), { timeout: 90_000 })
      .toMatch(/^(done|stopped)$/);
    expect(lab.consoleErrors).toEqual([]);
  }, 420_000);
});
