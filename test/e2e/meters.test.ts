// Settings' power meters in Chromium against a real `mchair serve` and a Shelly plug simulator on
// a real HTTP socket: a meter is tested, saved, edited and removed, a bad URI is refused with the
// core's sentence, the list survives a reload in meters.json, and a run started from the Run view
// is measured by the saved meter instead of the emulated boards' meters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/index';
import { startShellySim, type ShellySim } from '../sim/shelly-sim';
import { constant } from '../sim/trace';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let serve: ServeProcess;
let browser: Browser;
let plug: ShellySim;

beforeAll(async () => {
  plug = await startShellySim(2, constant(7.5));
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await plug?.close();
});

describe('power meters in Settings', () => {
  it('are tested, saved, edited and removed, and measure a run from the Run view', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    const plugUri = `shelly2://127.0.0.1:${plug.port}`;
    await lab.openView('Settings');
    await page.getByText('No meter saved yet.').waitFor();
    const rows = page.getByRole('table', { name: 'Saved meters' }).locator('tbody tr');
    const saved = async (): Promise<string[]> =>
      (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

    const add = page.getByRole('form', { name: 'Add a meter' });
    await add.getByRole('textbox', { name: 'Name' }).fill('bench plug');
    await add.getByRole('textbox', { name: 'Meter' }).fill(plugUri);
    await add.getByRole('button', { name: 'Test a reading' }).click();
    const reading = page.getByRole('definition').filter({ hasText: 'average' });
    await reading.waitFor({ timeout: 30_000 });
    expect(await reading.textContent()).toMatch(/average 7\.500 W/);
    await add.getByRole('button', { name: 'Save meter' }).click();
    await expect.poll(saved).toEqual([`bench plug ${plugUri} Test Edit Remove`]);

    // A URI the core cannot read is refused with its sentence and not saved.
    await add.getByRole('textbox', { name: 'Name' }).fill('rack');
    await add.getByRole('textbox', { name: 'Meter' }).fill('gopher://10.0.0.9');
    await add.getByRole('button', { name: 'Save meter' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/meter "gopher:\/\/10\.0\.0\.9"/);
    await add.getByRole('textbox', { name: 'Meter' }).fill('kasa://10.0.0.9');
    await add.getByRole('button', { name: 'Save meter' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByRole('alert').count()).toBe(0);

    // Edit: the form takes the meter, and saving renames it in place.
    await page.getByRole('button', { name: 'Edit bench plug' }).click();
    const edit = page.getByRole('form', { name: 'Edit meter bench plug' });
    expect(await edit.getByRole('textbox', { name: 'Meter' }).inputValue()).toBe(plugUri);
    // Focus follows into the form, on the name.
    await expect.poll(() => page.locator('#meter-name:focus').count()).toBe(1);
    await edit.getByRole('textbox', { name: 'Name' }).fill('wall plug');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('form', { name: 'Add a meter' }).waitFor();
    await page.getByRole('button', { name: 'Remove rack' }).click();
    await expect.poll(saved).toEqual([`wall plug ${plugUri} Test Edit Remove`]);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/settings-meters.png` });

    // Saved: in the data folder, and still listed after a reload.
    expect(JSON.parse(readFileSync(join(serve.dataDir, 'meters.json'), 'utf8'))).toEqual({
      version: 1,
      meters: [{ name: 'wall plug', uri: plugUri }],
    });
    await page.reload();
    await lab.openView('Settings');
    await expect.poll(saved).toEqual([`wall plug ${plugUri} Test Edit Remove`]);

    // A run from the Run view is measured by the saved meter.
    const asked = plug.requests.length;
    await lab.openView('Run');
    const setup = page.getByRole('form', { name: 'Run setup' });
    await setup.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await setup.getByRole('textbox', { name: 'Emulated boards for this run' }).fill('pi3:1');
    await setup.getByRole('spinbutton', { name: 'Frames' }).fill('20');
    await setup.getByRole('button', { name: 'Start run' }).click();
    const state = page.locator('.state[data-state="done"]');
    await state.waitFor({ timeout: 120_000 });
    const runId = (await state.locator('code').textContent())!.trim();
    const run = JSON.parse(
      readFileSync(join(serve.dataDir, 'runs', runId, 'run.json'), 'utf8'),
    ) as RunSummary;
    expect(run.energy?.meters.map((m) => [m.uri, m.emulated])).toEqual([[plugUri, false]]);
    expect(plug.requests.length).toBeGreaterThan(asked);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 240_000);
});
