// The app in Chromium against a real `mchair serve`: it prints its one ready line, every view
// opens through the navigation without console errors, a wrong token is refused, and the demo run
// started from the Run view draws its throughput live.
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage, VIEWS } from './labPage';
import { READY_LINE, startServe, type ServeProcess } from './serveProcess';

const SHOTS = 'out/e2e';
/** The farm line's colour in LiveChart.vue's palette. */
const FARM_BLUE = [0x1f, 0x5f, 0xbf] as const;

let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('mchair serve in Chromium', () => {
  it('prints exactly one line, the address on 127.0.0.1 with a token', () => {
    expect(serve.stdout).toHaveLength(1);
    expect(serve.stdout[0]).toMatch(READY_LINE);
  });

  it('opens every view through the navigation with no console errors', async () => {
    const lab = await LabPage.open(browser, serve.url);
    await lab.page
      .getByRole('status')
      .filter({ hasText: /^\s*connected\s*$/ })
      .waitFor();
    // The token leaves the address bar once the page has it.
    expect(lab.page.url()).not.toContain('token=');
    for (const view of VIEWS) {
      await lab.openView(view);
      await lab.page.screenshot({ path: `${SHOTS}/${view.toLowerCase()}.png` });
    }
    // Reload: the tab kept its token, so the page still reaches the core.
    await lab.page.reload();
    await lab.openView('Settings');
    await expect.poll(() => lab.page.getByText('mchair serve (in a browser)').count()).toBe(1);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('refuses a page with a wrong token and says what to do', async () => {
    const lab = await LabPage.open(browser, `${serve.origin}/?token=not-the-token`);
    const alert = lab.page.getByRole('alert').filter({ hasText: 'refused this page' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Open the address it printed');
    await lab.openView('Reports');
    // Commands fail with the same sentence rather than hanging.
    await lab.page.getByRole('alert').filter({ hasText: 'token changes every start' }).waitFor();
    await lab.close();
  });

  it('draws the demo run live on the Run view, stops it and lists it in Reports', async () => {
    const lab = await LabPage.open(browser, serve.url);
    await lab.openView('Run');
    expect(await lab.page.getByRole('heading', { name: 'No run yet' }).count()).toBe(1);
    // Enough frames that the run is still going when the line appears (about 15 s here).
    await lab.page.getByRole('spinbutton', { name: 'Frames' }).fill('3000');
    await lab.page.getByRole('button', { name: 'Start demo run' }).click();
    // At least two samples make a line; the legend and axes are not in the farm line's colour.
    await expect
      .poll(() => lab.chartInk(FARM_BLUE), { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(30);
    const state = lab.page.locator('[data-state]');
    expect(await state.getAttribute('data-state')).toBe('running');
    await lab.page.screenshot({ path: `${SHOTS}/run-live.png` });

    await lab.page.getByRole('button', { name: 'Stop run' }).click();
    await lab.page.locator('[data-test="run-summary"]').waitFor({ timeout: 60_000 });
    expect(await state.getAttribute('data-state')).toBe('stopped');
    const runId = (await state.locator('code').textContent())?.trim() ?? '';
    expect(runId).not.toBe('');
    await lab.page.screenshot({ path: `${SHOTS}/run-stopped.png` });

    await lab.openView('Reports');
    await lab.page.getByRole('row').filter({ hasText: runId }).waitFor();
    await lab.page.screenshot({ path: `${SHOTS}/reports-after-run.png` });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 180_000);
});
