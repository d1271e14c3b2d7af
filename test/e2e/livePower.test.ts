// Power live in the Run view, in Chromium against a real `mchair serve`: a run on emulated boards
// charts each board's emulated meter (labelled so), and a run measured by a WT300 simulator on a
// real TCP socket (a saved meter) shows the analyzer's latest watts as the simulator changes
// them, its idle, and the running joules per inference by the paper's split once the measured
// window opens, ending on run.json's figures. Outside runs, the Farm view's Power column reads a
// board's own plug (a Shelly simulator saved with device=NAME).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/index';
import { startScpiTcpSim, type ScpiSim } from '../sim/scpi-sim';
import { startShellySim, type ShellySim } from '../sim/shelly-sim';
import { constant } from '../sim/trace';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';
const IDLE_W = 18.5;
const BUSY_W = 31.25;

let serve: ServeProcess;
let browser: Browser;
let analyzer: ScpiSim;
let plug: ShellySim;

beforeAll(async () => {
  analyzer = await startScpiTcpSim('wt300', constant(IDLE_W));
  plug = await startShellySim(2, constant(4.75));
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await analyzer?.close();
  await plug?.close();
});

async function startRun(page: Page, boards: string, frames: number): Promise<void> {
  const setup = page.getByRole('form', { name: 'Run setup' });
  await setup.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
  await setup.getByRole('textbox', { name: 'Emulated boards for this run' }).fill(boards);
  await setup.getByRole('spinbutton', { name: 'Frames' }).fill(String(frames));
  await setup.getByRole('button', { name: 'Start run' }).click();
}

/** Watts an <output> shows, NaN before its first reading. */
const watts = (text: string | null): number => Number(/^([\d.]+) W$/.exec(text ?? '')?.[1]);

describe('power live in the Run view', () => {
  it("charts every meter while the run goes, with the analyzer's watts and the running J/inference", async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Run');

    // No meter saved: each emulated board's meter, labelled emulated.
    await startRun(page, 'pi3:2', 30);
    const power = page.locator('[data-test="run-power"]');
    const outputs = power.locator('dl[aria-label="Meters now"] output');
    await expect.poll(() => outputs.count(), { timeout: 120_000 }).toBe(2);
    for (const label of await outputs.evaluateAll((os) => os.map((o) => o.ariaLabel)))
      expect(label).toMatch(/ \(emulated\) watts$/);
    await expect
      .poll(async () => watts(await outputs.first().textContent()), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.locator('.state[data-state="done"]').waitFor({ timeout: 120_000 });

    // The bench analyzer saved as the lab's meter measures the next run instead.
    const uri = `scpi+wt300://127.0.0.1:${analyzer.port}`;
    await writeFile(
      join(serve.dataDir, 'meters.json'),
      JSON.stringify({ version: 1, meters: [{ name: 'bench analyzer', uri }] }),
    );
    await startRun(page, 'pi3:2', 5000);
    await page.locator('.state[data-state="running"]').waitFor({ timeout: 120_000 });
    await expect.poll(() => outputs.count(), { timeout: 60_000 }).toBe(1);
    expect(await outputs.first().getAttribute('aria-label')).not.toMatch(/emulated/);
    await expect.poll(async () => watts(await outputs.first().textContent())).toBe(IDLE_W);
    // The meter's idle was measured before the first frame, at the simulator's idle watts.
    expect(await power.locator('.meters__note').first().textContent()).toMatch(
      `idle ${IDLE_W.toFixed(2)} W`,
    );
    analyzer.clock.trace = constant(BUSY_W);
    await expect
      .poll(async () => watts(await outputs.first().textContent()), { timeout: 10_000 })
      .toBe(BUSY_W);

    // The running J/inference, read in one go (the figures change with every batch): static =
    // idle W / IPS, dynamic from the watts above idle, total = static + dynamic.
    const table = power.getByRole('table', { name: 'Energy per inference so far' });
    const figures = async () => {
      const text = (await table.textContent()) ?? '';
      const number = (re: RegExp) => Number(re.exec(text)?.[1]);
      return {
        ips: number(/at ([\d.]+) inferences\/s/),
        static: number(/Static\s*([\d.e+-]+)\s*J/),
        dynamic: number(/Dynamic\s*([\d.e+-]+)\s*J/),
        total: number(/Total\s*([\d.e+-]+)\s*J/),
      };
    };
    await expect
      .poll(async () => (await figures()).dynamic, { timeout: 60_000 })
      .toBeGreaterThan(0);
    const j = await figures();
    expect(j.ips).toBeGreaterThan(0);
    expect(Math.abs(j.static / (IDLE_W / j.ips) - 1)).toBeLessThan(0.02);
    expect(Math.abs(j.total / (j.static + j.dynamic) - 1)).toBeLessThan(0.02);
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/run-power.png`, fullPage: true });

    await page.getByRole('button', { name: 'Stop run' }).click();
    const stopped = page.locator('.state[data-state="stopped"]');
    await stopped.waitFor({ timeout: 120_000 });
    // The view ends on the figures the run's record holds: one formula, live and at the end.
    const runId = (await stopped.locator('code').textContent())!.trim();
    const record = JSON.parse(
      await readFile(join(serve.dataDir, 'runs', runId, 'run.json'), 'utf8'),
    ) as RunSummary;
    const final = record.energy!.perInferenceJ!;
    const shown = await figures();
    for (const k of ['static', 'dynamic', 'total'] as const)
      expect(Math.abs(shown[k] / final[k] - 1)).toBeLessThan(0.01);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 300_000);

  it("shows a board's own plug in the Farm view's Power column, outside runs", async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Farm');
    await page.getByRole('button', { name: 'Add device…' }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    await add.getByRole('textbox', { name: 'Name' }).fill('pi-07');
    await add.getByRole('textbox', { name: 'Host' }).fill('127.0.0.1');
    await add.getByRole('textbox', { name: 'User' }).fill('pi');
    await add.getByRole('button', { name: 'Add device' }).click();
    await lab.openView('Settings');
    const form = page.getByRole('form', { name: 'Add a meter' });
    await form.getByRole('textbox', { name: 'Name' }).fill('pi-07 plug');
    await form
      .getByRole('textbox', { name: 'Meter' })
      .fill(`shelly2://127.0.0.1:${plug.port}?device=pi-07`);
    await form.getByRole('button', { name: 'Save meter' }).click();
    await page.getByRole('button', { name: 'Edit pi-07 plug' }).waitFor();

    await lab.openView('Farm');
    const cell = page.getByRole('row', { name: /pi-07/ }).locator('[data-test="plug"]');
    await expect
      .poll(() => cell.textContent(), { timeout: 30_000 })
      .toMatch(/^\s*4\.75 W at pi-07 plug\s*$/);
    await plug.close();
    // A plug that stops answering says so instead of its last watts.
    await expect
      .poll(() => cell.textContent(), { timeout: 30_000 })
      .toMatch(/^\s*– at pi-07 plug\s*$/);
    expect(await cell.getAttribute('title')).not.toBe('saved meter pi-07 plug');
    await page.screenshot({ path: `${SHOTS}/farm-plug.png`, fullPage: true });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 120_000);
});
