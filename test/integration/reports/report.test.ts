// Reports of recorded runs through `mchair report`: HTML opened in Chromium and checked for its
// charts and numbers against run.json, PDF rendered back with pdftoppm, CSV and JSON for pandas.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-main/contract/index';
import { sessionMeters } from '../../../src-main/power/session';
import { PAPER_FIGURES } from '../../../src-main/reports/paper';
import { reportJsonSchema } from '../../../src-main/contract/report';
import { CSV_COLUMNS, CSV_FIGURES } from '../../../src-main/reports/tables';
import { runsDir } from '../../../src-main/store/runs';
import { startKasaSim, type KasaSim } from '../../sim/kasa-sim';
import { startScpiTcpSim, type ScpiSim } from '../../sim/scpi-sim';
import { csvFigure, csvRows, PLAN, recordEmulatedRun, recordRun } from './fixtures';

const exec = promisify(execFile);
let dataDir: string;
let measured: RunSummary;
let emulated: RunSummary;
let analyzer: ScpiSim;
let plug: KasaSim;
let browser: Browser;

async function mchair(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/mchair.js', ...args], {
      env: { ...process.env, MCHAIR_HOME: dataDir },
      maxBuffer: 1 << 26,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-report-'));
  // A measured farm: an analyzer on the whole farm (10 W idle, 16 W busy) and a plug on pi-1.
  let busy = false;
  analyzer = await startScpiTcpSim('wt300', { watts: () => (busy ? 16 : 10) });
  plug = await startKasaSim(2, { watts: () => (busy ? 4.5 : 2) });
  const meters = sessionMeters([
    `scpi+wt300://127.0.0.1:${analyzer.port}?interval=0.1`,
    `kasa://127.0.0.1:${plug.port}?device=pi-1&interval=0.5`,
  ]);
  measured = await recordRun(dataDir, {
    model: 'alexnet-mc',
    meters,
    ips: 5,
    seconds: 1.6,
    devices: ['pi-1', 'pi-2', 'pi-3', 'pi-4'],
    emulated: false,
    plan: PLAN,
    onRunStart: () => (busy = true),
  });
  emulated = await recordEmulatedRun(dataDir);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
});

afterAll(async () => {
  await browser?.close();
  await analyzer?.close();
  await plug?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('mchair report', () => {
  it('stored energy in run.json the way the issue asks', () => {
    const e = measured.energy!;
    expect(e.basis).toBe('farm-meter');
    expect(e.emulated).toBe(false);
    expect(e.idleW).toBeCloseTo(10, 6);
    // 16 W busy over most of the run: between idle and busy.
    expect(e.window!.avgW).toBeGreaterThan(14);
    expect(e.window!.avgW).toBeLessThan(16.01);
    // The paper's method: idle W / IPS, over the window.
    expect(e.perInferenceJ!.static).toBeCloseTo(10 / measured.ips!, 6);
    expect(e.meters.find((m) => m.scope.kind === 'devices')!.meter).toBe(
      `kasa@127.0.0.1:${plug.port}`,
    );
    expect(emulated.energy!.emulated).toBe(true);
    expect(emulated.energy!.idleW).toBeCloseTo(2.6, 9);
    // The switch to busy falls between two samples: the first 50 ms of the run ramp up to it.
    expect(emulated.energy!.window!.avgW).toBeGreaterThan(2 * (1.3 + 5.2 * 0.7) * 0.95);
    expect(emulated.energy!.window!.avgW).toBeLessThan(2 * (1.3 + 5.2 * 0.7) + 1e-9);
    expect(emulated.energy!.perInferenceJ!.dynamic).toBeGreaterThan(0);
  });

  it('renders two runs as HTML whose charts carry the stored figures, next to the paper', async () => {
    const out = join(dataDir, 'two.html');
    const r = await mchair('report', measured.id, emulated.id, '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ out, format: 'html', runs: [measured.id, emulated.id] });
    const html = await readFile(out, 'utf8');
    // Self-contained: nothing to fetch, nothing to run.
    expect(html).not.toMatch(/<script|<link|src=|url\(http/i);

    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${out}`);
    const bars = (
      chart: string,
      series: string,
    ): Promise<Array<{ category: string; value: number }>> =>
      page.$$eval(`svg[data-chart="${chart}"] rect.bar[data-series="${series}"]`, (els) =>
        els.map((e) => ({
          category: e.getAttribute('data-column') ?? '',
          value: Number(e.getAttribute('data-value')),
        })),
      );
    const ips = await bars('ips', 'ips');
    // Our two runs, then the paper's four AlexNet systems.
    expect(ips.map((b) => b.value)).toEqual([5, 3, 7.1, 5.6, 4.3, 5.7]);
    expect(ips.slice(2).map((b) => b.category)).toEqual(['TX2 GPU', 'TX2 CPU', '5 Pis', '6 Pis']);
    const stat = await bars('energy-split', 'staticJ');
    const dyn = await bars('energy-split', 'dynamicJ');
    const total = await bars('energy', 'totalJ');
    expect(stat[0]!.value).toBeCloseTo(measured.energy!.perInferenceJ!.static, 12);
    expect(dyn[0]!.value).toBeCloseTo(measured.energy!.perInferenceJ!.dynamic, 12);
    expect(total[1]!.value).toBeCloseTo(emulated.energy!.perInferenceJ!.total, 12);
    expect(total.slice(2).map((b) => b.value)).toEqual([1.54, 1.46, 2.3, 2.1]);
    // The emulated run is labelled wherever its figures appear.
    expect(await page.textContent('#emulated-banner')).toMatch(/emulated/);
    // Once per run of like columns: ours measured, ours emulated, the paper's.
    const marks = await page.$$eval('svg[data-chart="ips"] text.mark', (els) =>
      els.map((e) => e.textContent),
    );
    expect(marks).toEqual(['measured here', 'emulated here', "paper (ReQuEST'18)"]);
    expect(
      await page.$$eval(`section[id="run-${emulated.id}"] h2 .badge`, (els) => els.length),
    ).toBe(1);
    expect(
      await page.$$eval(`section[id="run-${measured.id}"] h2 .badge`, (els) => els.length),
    ).toBe(0);
    // Per run: a timeline with power and IPS lines, the per-device table, the plan diagram.
    const lines = await page.$$eval(
      `section[id="run-${measured.id}"] svg[data-chart="timeline"] path.line`,
      (els) =>
        els.map((e) => [e.getAttribute('data-series'), Number(e.getAttribute('data-points'))]),
    );
    expect(lines.map((l) => l[0])).toEqual([
      `wt300@127.0.0.1:${analyzer.port}`,
      `kasa@127.0.0.1:${plug.port}`,
      'IPS',
    ]);
    expect(lines[0]![1]).toBeGreaterThan(15);
    const devices = await page.$$eval(
      `section[id="run-${measured.id}"] table:nth-of-type(3) tbody tr td:first-child`,
      (els) => els.map((e) => e.textContent),
    );
    expect(devices).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    expect(await page.$$eval('#compare tbody tr', (els) => els.length)).toBe(2);
    expect(
      await page.$$eval(
        `section[id="run-${measured.id}"] svg[data-chart="plan"] text.device`,
        (els) => els.map((e) => e.textContent),
      ),
    ).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.close();
  });

  it('prints the same report to a PDF that renders', async () => {
    const out = join(dataDir, 'two.pdf');
    const r = await mchair('report', measured.id, emulated.id, '--format', 'pdf', '--out', out);
    expect(r).toMatchObject({ code: 0, stdout: `wrote ${out} (pdf, 2 runs)\n` });
    expect((await readFile(out)).subarray(0, 5).toString()).toBe('%PDF-');
    await exec('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', out, join(dataDir, 'page')]);
    expect((await stat(join(dataDir, 'page-1.png'))).size).toBeGreaterThan(5000);
    const { stdout: text } = await exec('pdftotext', ['-layout', out, '-']);
    expect(text).toContain(measured.id);
    expect(text).toContain('Total energy per inference');
    expect(text).toContain('emulated');
  });

  it('writes a tidy CSV: one row per run, scope and figure, configuration and unit in columns', async () => {
    const csv = await mchair('report', measured.id, emulated.id, '--format', 'csv');
    expect(csv.code).toBe(0);
    const rows = csvRows(csv.stdout);
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    expect(csvFigure(rows, measured.id, 'farm', 'totalJPerInference')).toBeCloseTo(
      measured.energy!.perInferenceJ!.total,
      9,
    );
    expect(csvFigure(rows, measured.id, 'farm', 'ips')).toBe(measured.ips);
    expect(csvFigure(rows, measured.id, 'pi-1', 'avgW')).toBeGreaterThan(2);
    // Every row of the measured run carries its configuration, and each figure its unit.
    const ours = rows.filter((r) => r.runId === measured.id);
    for (const r of ours) {
      expect(r).toMatchObject({
        model: 'alexnet-mc',
        farm: '4x pi3',
        plan: 'paper-5',
        meters: `wt300@127.0.0.1:${analyzer.port} + kasa@127.0.0.1:${plug.port}`,
        source: 'measured',
      });
      expect(r.unit).toBe(CSV_FIGURES[r.figure as keyof typeof CSV_FIGURES]);
      expect(Number.isFinite(Number(r.value))).toBe(true);
    }
    // Tidy: no two rows for one run, scope and figure.
    const keys = rows.map((r) => `${r.runId}/${r.scope}/${r.figure}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rows.find((r) => r.runId === emulated.id)).toMatchObject({
      source: 'emulated',
      farm: '2 devices',
    });
    const paper = rows.filter((r) => r.source === 'paper' && r.figure === 'totalJPerInference');
    expect(paper.map((r) => [r.scope, Number(r.value)])).toEqual(
      PAPER_FIGURES.filter((p) => p.model === 'AlexNet').map((p) => [p.system, p.totalJ]),
    );
  });

  it('writes JSON that validates against the published schema (docs/report.schema.json)', async () => {
    const schema = JSON.parse(await readFile('docs/report.schema.json', 'utf8'));
    // The published file is the zod schema's, regenerated by `mchair report --schema`.
    expect(schema).toEqual(reportJsonSchema());
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const out = join(dataDir, 'two.json');
    expect((await mchair('report', measured.id, emulated.id, '--out', out)).code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8'));
    const valid = validate(json);
    expect(validate.errors).toBeNull();
    expect(valid).toBe(true);
    expect(json.runs[0].configuration).toEqual({
      model: 'alexnet-mc',
      farm: '4x pi3',
      plan: 'paper-5',
      meters: `wt300@127.0.0.1:${analyzer.port} + kasa@127.0.0.1:${plug.port}`,
    });
    expect(json.runs[0].energy).toMatchObject({
      idleW: measured.energy!.idleW,
      perInferenceJ: measured.energy!.perInferenceJ,
      emulated: false,
    });
    expect(
      json.runs[0].devices.find((d: { device: string }) => d.device === 'pi-1').energy.meter,
    ).toBe(`kasa@127.0.0.1:${plug.port}`);
    // The schema can fail: a report missing a figure, or with one of the wrong type, does not pass.
    const broken = structuredClone(json);
    delete broken.runs[0].energy.perInferenceJ;
    expect(validate(broken)).toBe(false);
    broken.runs[0] = { ...json.runs[0], ips: 'fast' };
    expect(validate(broken)).toBe(false);
  });

  it('refuses unknown runs, bad ids, PDF to stdout and damaged power files in one line', async () => {
    expect(await mchair('report', 'nope')).toMatchObject({
      code: 1,
      stderr: `mchair: no run "nope" in ${runsDir(dataDir)} [RUN_NOT_FOUND]\n`,
    });
    expect(await mchair('report', '../etc')).toMatchObject({
      code: 1,
      stderr: 'mchair: "../etc" is not a run id (see `mchair runs list`)\n',
    });
    expect(await mchair('report', measured.id, '--format', 'pdf')).toMatchObject({
      code: 2,
      stderr: 'mchair: --out: a PDF report needs a file to go to (see --help)\n',
    });
    // An unknown format is wrong usage (exit 2), like an unknown flag.
    expect(await mchair('report', measured.id, '--format', 'docx')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^mchair: option '--format <format>' argument 'docx' is invalid\. Allowed choices are html, pdf, csv, json, svg, png\. \(see --help\)\n$/,
      ),
    });
    await writeFile(
      join(runsDir(dataDir), emulated.id, 'power.json'),
      '{"runStartMs": 0, "meters": [',
    );
    expect(await mchair('report', emulated.id, '--format', 'json')).toMatchObject({
      code: 1,
      stderr: `mchair: ${join(runsDir(dataDir), emulated.id, 'power.json')} is not JSON; remove it or restore it from a backup [RUN_DAMAGED]\n`,
    });
  });
});
