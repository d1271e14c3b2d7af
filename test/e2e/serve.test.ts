// The app in Chromium against a real `mchair serve`: it prints its one ready line, every view
// opens through the navigation without console errors, a wrong token is refused, and the demo run
// started from the Run view draws its throughput live.
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZooModel, encodeModel } from '../../src-main/model/index';
import { CHROMIUM_ARGS, LabPage, VIEWS } from './labPage';
import { READY_LINE, startServe, type ServeProcess } from './serveProcess';

// `npm run screenshots` points this at docs/screenshots (the README shows them).
const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';
/** The first line's colour in LiveChart.vue's palette. */
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
      // Keyboard focus follows the user into the view they opened.
      await expect.poll(() => lab.page.locator('#main:focus').count()).toBe(1);
      expect(await lab.unnamedControls(), view).toEqual([]);
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
    const alert = lab.page.locator('[data-test="link-problem"]');
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
      .poll(() => lab.chartInk('Throughput', FARM_BLUE), { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(30);
    // The first line of the other charts (a device's utilisation, the median latency) too.
    expect(await lab.chartInk('Utilisation per device', FARM_BLUE)).toBeGreaterThan(30);
    expect(await lab.chartInk('Latency per frame', FARM_BLUE)).toBeGreaterThan(30);
    const state = lab.page.locator('[data-state]');
    expect(await state.getAttribute('data-state')).toBe('running');
    expect(await lab.unnamedControls()).toEqual([]);
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

  it('adds, imports, scans and removes boards on the Farm view', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Farm');
    await page.getByRole('button', { name: 'Add device…' }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    await add.getByRole('textbox', { name: 'Name' }).fill('pi-01');
    await add.getByRole('textbox', { name: 'Host' }).fill('192.168.1.21');
    await add.getByRole('combobox', { name: 'Board' }).selectOption('pi3');
    await add.getByRole('button', { name: 'Add device' }).click();
    await page.getByRole('row', { name: /pi-01/ }).waitFor();

    // The same name again: the dialog stays open with the core's sentence.
    await page.getByRole('button', { name: 'Add device…' }).click();
    await add.getByRole('textbox', { name: 'Name' }).fill('pi-01');
    await add.getByRole('textbox', { name: 'Host' }).fill('192.168.1.99');
    await add.getByRole('button', { name: 'Add device' }).click();
    await add.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    expect(await lab.unnamedControls()).toEqual([]);
    await add.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Import…' }).click();
    const imp = page.getByRole('dialog', { name: 'Import devices' });
    await imp.getByLabel('Choose a file or drop it here').setInputFiles({
      name: 'lab.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'name,host,user,profile\npi-02,192.168.1.22,pi,pi4\ntx2-01,192.168.1.30,nvidia,tx2-gpu\n',
      ),
    });
    await imp.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('row', { name: /tx2-01/ }).waitFor();
    await page.screenshot({ path: `${SHOTS}/farm-devices.png` });

    await page.getByRole('button', { name: 'Scan network…' }).click();
    const scan = page.getByRole('dialog', { name: 'Scan the network' });
    await scan.getByRole('textbox', { name: 'Subnet' }).fill('10.0.0.0/8');
    await scan.getByRole('button', { name: 'Scan' }).click();
    await scan.getByRole('alert').filter({ hasText: '/22' }).waitFor();
    await scan.getByRole('button', { name: 'Close dialog' }).click();

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Remove pi-02' }).click();
    await expect.poll(() => page.getByRole('row', { name: /pi-02/ }).count()).toBe(0);
    expect(await page.getByRole('row').count()).toBe(3);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('shows where a built-in model spends its cost on the Models view', async () => {
    const lab = await LabPage.open(browser, serve.url);
    await lab.openView('Models');
    await lab.page.getByRole('button', { name: 'Show the layers of alexnet-mc' }).click();
    await lab.page.getByRole('heading', { name: 'alexnet-mc' }).waitFor({ timeout: 60_000 });
    // Five convolutions and three fully connected layers, each a row with its cost.
    expect(await lab.page.getByRole('row', { name: /Conv/ }).count()).toBe(5);
    expect(await lab.page.getByRole('row', { name: /Gemm|MatMul/ }).count()).toBe(3);
    expect(await lab.unnamedControls()).toEqual([]);
    await lab.page.screenshot({ path: `${SHOTS}/models-alexnet-mc.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('imports an ONNX file on the Models view and plans it', async () => {
    const file = join(tmpdir(), `mchair-e2e-${process.pid}.onnx`);
    await writeFile(file, encodeModel(buildZooModel('tiny-cnn', { seed: 5 })));
    try {
      const lab = await LabPage.open(browser, serve.url);
      const page = lab.page;
      await lab.openView('Models');
      await page.getByRole('button', { name: 'Import ONNX…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Import an ONNX model' });
      await dialog.getByLabel('Choose an .onnx file or drop it here').setInputFiles(file);
      await dialog.getByRole('textbox', { name: 'Name in the lab' }).fill('lab-cnn');
      // The catalogue does not know this file: its card is asked for, in words.
      await dialog.getByRole('button', { name: 'Import' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'the catalogue does not know' }).waitFor();
      // It already takes the farm's frames; a torchvision card would contradict its uint8 input.
      const presets = dialog.getByRole('group', { name: 'Presets' });
      await presets.getByRole('button', { name: 'torchvision/MXNet' }).click();
      await dialog.getByRole('button', { name: 'Import' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'float32 NCHW' }).waitFor();
      await presets.getByRole('button', { name: "the farm's frames" }).click();
      await dialog.getByRole('button', { name: 'Import' }).click();
      await page.getByRole('heading', { level: 2, name: 'lab-cnn' }).waitFor();
      expect(
        await page
          .getByRole('region', { name: 'Imported' })
          .getByRole('button', { name: 'Show the layers of lab-cnn' })
          .count(),
      ).toBe(1);
      expect(await page.getByRole('row', { name: /Conv/ }).count()).toBe(3);

      await lab.openView('Plan');
      await page.getByRole('combobox', { name: 'Model' }).selectOption('lab-cnn');
      await page.getByRole('spinbutton', { name: 'pi3' }).fill('2');
      await page.getByRole('button', { name: 'Plan', exact: true }).click();
      await page.getByRole('heading', { name: /^Best plan:/ }).waitFor({ timeout: 60_000 });
      expect(lab.consoleErrors).toEqual([]);
      await lab.close();
    } finally {
      await rm(file, { force: true });
    }
  });

  it("plans alexnet-mc on the paper's six Pi 3s and draws the plan beside the presets", async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Plan');
    await page.getByRole('combobox', { name: 'Model' }).selectOption('alexnet-mc');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    const compare = page.getByRole('table').filter({ has: page.getByText('Plans compared') });
    await compare.waitFor({ timeout: 60_000 });
    expect(await compare.getByRole('button', { name: 'Best plan' }).count()).toBe(1);
    expect(await compare.getByRole('button', { name: 'Paper preset paper-6' }).count()).toBe(1);
    expect(await compare.getByRole('row', { name: /paper-9.*needs 9 devices/ }).count()).toBe(1);
    // The diagram: one column per stage, each link labelled with bytes per frame.
    const stages = page.getByRole('region', { name: /^Stage s\d+$/ });
    expect(await stages.count()).toBeGreaterThan(0);
    expect(await page.getByRole('img', { name: /147 KiB\/frame into stage s0/ }).count()).toBe(1);
    await compare.getByRole('button', { name: 'Paper preset paper-6' }).click();
    await page.getByRole('heading', { name: /^Paper preset paper-6:/ }).waitFor();
    expect(await page.getByText(/model parallel: split 2 ways/).count()).toBeGreaterThan(0);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/plan-paper-6.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('compares, exports and deletes runs on the Reports view', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Run');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      await page.getByRole('spinbutton', { name: 'Frames' }).fill('20');
      await page.getByRole('button', { name: 'Start demo run' }).click();
      // Until the new run reports, the previous one's "done" is still on screen.
      const state = page.locator('[data-state]');
      const finished = async (): Promise<string | null> => {
        const id = (await state.locator('code').textContent())?.trim() ?? '';
        return (await state.getAttribute('data-state')) === 'done' && !ids.includes(id) ? id : null;
      };
      await expect.poll(finished, { timeout: 60_000 }).not.toBeNull();
      const id = (await finished()) ?? '';
      ids.push(id);
    }
    await lab.openView('Reports');
    for (const id of ids) await page.getByRole('checkbox', { name: `Choose run ${id}` }).check();
    const bars = page.getByRole('figure', { name: 'Inferences per second of 2 runs' });
    await bars.waitFor();

    await page.getByRole('combobox', { name: 'Format' }).selectOption('json');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export 2 runs' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('compare-2-runs.json');
    const saved = await download.path();
    const text = await readFile(saved, 'utf8');
    for (const id of ids) expect(text).toContain(id);

    await page.getByRole('searchbox', { name: 'Filter' }).fill(ids[0]!);
    expect(await page.getByRole('checkbox').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Filter' }).fill('');
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/reports-compare.png`, fullPage: true });

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Delete run ${ids[1]}` }).click();
    await expect
      .poll(() => page.getByRole('checkbox', { name: `Choose run ${ids[1]}` }).count())
      .toBe(0);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('tests a power meter from the Settings view', async () => {
    const log = join(tmpdir(), `mchair-e2e-power-${process.pid}.csv`);
    await writeFile(log, 'time_s,power_w\n0,3.0\n1,5.0\n2,5.0\n');
    try {
      const lab = await LabPage.open(browser, serve.url);
      await lab.openView('Settings');
      await lab.page.getByRole('textbox', { name: 'Meter' }).fill(`csv://${log}`);
      await lab.page.getByRole('button', { name: 'Test a reading' }).click();
      const reading = lab.page.getByRole('definition').filter({ hasText: 'average' });
      await reading.waitFor();
      expect(await reading.textContent()).toMatch(/min 3\.000 W, max\s+5\.000 W/);
      await lab.page.getByRole('textbox', { name: 'Meter' }).fill('gopher://10.0.0.1');
      await lab.page.getByRole('button', { name: 'Test a reading' }).click();
      await lab.page.getByRole('alert').waitFor();
      expect(await lab.unnamedControls()).toEqual([]);
      expect(lab.consoleErrors).toEqual([]);
      await lab.close();
    } finally {
      await rm(log, { force: true });
    }
  });
});
