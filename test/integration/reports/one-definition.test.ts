// One definition of a run's IPS and joules per inference (issue 18): a metered run on the virtual
// farm, then every output that shows its figures — `mchair run --json`, run.json, `mchair runs
// show --json`, the JSON and CSV reports — must carry the same numbers, measured over the run's
// window (the paper's method), with the whole run's energy beside them under its own name. A run
// too short for a window says so instead of an IPS.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMchair } from '../cli/run-mchair';
import { csvFigure, csvRows, TINY_RUN } from './fixtures';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-one-definition-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const mchair = (...args: string[]) => runMchair('--data-dir', dataDir, ...args);

describe('a metered run', () => {
  it('shows the same IPS and J/inference in every output, over its stated window', async () => {
    const run = await mchair(...TINY_RUN, '--frames', '60', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const e = report.energy;
    // The paper's method over the window: static = idle W / IPS, dynamic = (avg W - idle W) / IPS.
    expect(report.window.frames).toBeGreaterThanOrEqual(4);
    expect(e.window.frames).toBe(report.window.frames);
    expect(e.window.ips).toBe(report.ips);
    expect(e.perInferenceJ.static).toBeCloseTo(e.idleW / report.ips, 9);
    expect(e.perInferenceJ.dynamic).toBeCloseTo((e.window.avgW - e.idleW) / report.ips, 9);
    expect(e.perInferenceJ.total).toBeCloseTo(e.window.avgW / report.ips, 9);
    // The whole run is there too, under its own name: deploy, warm-up and fill included.
    expect(e.wholeRun.inferences).toBe(60);
    expect(e.wholeRun.seconds).toBeGreaterThan(report.window.seconds);

    const stored = JSON.parse(
      await readFile(join(dataDir, 'runs', report.runId, 'run.json'), 'utf8'),
    );
    expect(stored.ips).toBe(report.ips);
    expect(stored.window).toEqual(report.window);
    expect(stored.energy).toEqual(e);

    const shown = JSON.parse((await mchair('runs', 'show', report.runId, '--json')).stdout);
    expect(shown.run.ips).toBe(report.ips);
    expect(shown.run.energy.perInferenceJ).toEqual(e.perInferenceJ);
    const text = (await mchair('runs', 'show', report.runId)).stdout;
    expect(text).toContain(`static ${e.perInferenceJ.static.toFixed(2)}`);

    const json = JSON.parse((await mchair('report', report.runId, '--format', 'json')).stdout);
    expect(json.runs[0].ips).toBe(report.ips);
    expect(json.runs[0].window).toEqual(report.window);
    expect(json.runs[0].energy.perInferenceJ).toEqual(e.perInferenceJ);

    const out = join(dataDir, 'r.csv');
    expect((await mchair('report', report.runId, '--format', 'csv', '--out', out)).code).toBe(0);
    const rows = csvRows(await readFile(out, 'utf8'));
    const farm = (figure: string) => csvFigure(rows, report.runId, 'farm', figure);
    expect(farm('ips')).toBe(report.ips);
    expect(farm('staticJPerInference')).toBe(e.perInferenceJ.static);
    expect(farm('totalJPerInference')).toBe(e.perInferenceJ.total);
    expect(farm('windowFrames')).toBe(report.window.frames);
    expect(farm('wholeRunJ')).toBe(e.wholeRun.energyJ);
  }, 180_000);

  it('too short to hold a window: says so instead of an IPS', async () => {
    const r = await mchair(
      'run',
      '--emulate',
      'pi3:3',
      '--model',
      'tiny-cnn',
      '--plan',
      'auto',
      '--frames',
      '3',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/IPS\s+n\/a\s+predicted [\d.]+: too short to measure: 3 frames/);
    expect(r.stdout).not.toMatch(/energy J\/inference/);
    expect(r.stdout).toMatch(/whole run energy\s+[\d.]+ J over/);
  }, 120_000);
});
