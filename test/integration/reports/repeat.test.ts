// Repeated runs (issue 18 must 2): `mchair run --repeat N` records N runs of one configuration on
// the virtual farm and prints their spread; `mchair report` groups them by configuration with
// the same mean, standard deviation, minimum and maximum.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMchair } from '../cli/run-mchair';
import { csvRows, TINY_RUN } from './fixtures';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-repeat-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const mchair = (...args: string[]) => runMchair('--data-dir', dataDir, ...args);

const sd = (xs: number[]): number => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('mchair run --repeat', () => {
  it('records each run and reports their spread, the same in the grouped report', async () => {
    const r = await mchair(...TINY_RUN, '--frames', '40', '--repeat', '3', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runs).toHaveLength(3);
    const ids: string[] = out.runs.map((x: { runId: string }) => x.runId);
    expect(new Set(ids).size).toBe(3);
    const ips: number[] = out.runs.map((x: { ips: number }) => x.ips);
    const totals: number[] = out.runs.map(
      (x: { energy: { perInferenceJ: { total: number } } }) => x.energy.perInferenceJ.total,
    );
    expect(out.spread.ips).toMatchObject({ n: 3, min: Math.min(...ips), max: Math.max(...ips) });
    expect(out.spread.ips.mean).toBeCloseTo((ips[0]! + ips[1]! + ips[2]!) / 3, 9);
    expect(out.spread.ips.sd).toBeCloseTo(sd(ips), 9);
    expect(out.spread.totalJ.sd).toBeCloseTo(sd(totals), 9);
    // Each run.json names the set and its place in it.
    for (const [i, id] of ids.entries()) {
      const stored = JSON.parse(await readFile(join(dataDir, 'runs', id, 'run.json'), 'utf8'));
      expect(stored.state).toBe('done');
      expect(stored.repeat).toEqual({ set: out.set, index: i + 1, of: 3 });
    }

    const report = JSON.parse((await mchair('report', ...ids, '--format', 'json')).stdout);
    expect(report.runs.map((x: { repeat: { index: number } }) => x.repeat.index)).toEqual([
      1, 2, 3,
    ]);
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0].runIds).toEqual(ids);
    expect(report.groups[0].configuration).toMatchObject({ model: 'tiny-cnn', plan: 'auto' });
    expect(report.groups[0].spread.ips.mean).toBeCloseTo(out.spread.ips.mean, 9);
    expect(report.groups[0].spread.totalJ.sd).toBeCloseTo(out.spread.totalJ.sd, 9);
    // The tidy CSV names the set on every row of its runs.
    const csv = csvRows((await mchair('report', ...ids, '--format', 'csv')).stdout);
    expect(new Set(csv.map((row) => row.set))).toEqual(new Set([out.set]));

    const text = await mchair(...TINY_RUN, '--frames', '40', '--repeat', '2');
    expect(text.stdout).toMatch(
      /--- set \S+, over 2 runs \(emulated\): \S+ \S+\nIPS\s+mean [\d.]+ {2}sd [\d.]+ {2}min [\d.]+ {2}max [\d.]+ {2}\(2 of 2 runs\)/,
    );
  }, 300_000);

  it('refuses a repeat that is not a whole number from 1 to 100, in one line', async () => {
    const r = await mchair(...TINY_RUN, '--repeat', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mchair: --repeat: .* \(see --help\)\n$/);
  });
});
