// Shared by the fault tests: one `mchair run --chaos ... --check --json` through the real CLI,
// with the run's record read back (run.json, results.jsonl), and the checks every surviving run
// must pass: nothing lost, nothing twice, every result right, results in frame order.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { snapshotBundles, type Bundles } from '../farm/bundles';

/** A test file's data folder and private CLI/agent bundles, made before its tests, removed after. */
export function chaosFixture(): { home: string; bundles: Bundles } {
  const fx = {} as { home: string; bundles: Bundles };
  beforeAll(async () => {
    fx.home = await mkdtemp(join(tmpdir(), 'mchair-faults-'));
    fx.bundles = await snapshotBundles();
  });
  afterAll(async () => {
    await rm(fx.home, { recursive: true, force: true });
    await fx.bundles.remove();
  });
  return fx;
}

export interface Fault {
  kind: 'lost' | 'slowed' | 'back' | 'joined';
  device: string;
  cause: string | null;
  phase: 'connect' | 'deploy' | 'run' | 'replan' | 'drain';
  at: number;
  detectedAt: number;
  detectionMs: number;
  replanMs: number | null;
  redeployMs: number | null;
  resent: number;
  plan: { origin: string; predictedIps: number; devices: string[] } | null;
  recoveryS: number | null;
  slowdown: number | null;
  why: string;
  /** Joined boards: the predicted IPS gain with them. */
  gain?: number;
}

export interface ChaosRun {
  report: {
    state: string;
    frames: {
      sent: number;
      completed: number;
      lost: number;
      duplicated: number;
      mismatched: number;
    };
    maxAbsDiff: number | null;
    predictedIps: number;
    faults: Fault[];
  };
  stderr: string;
  run: { state: string; faults?: Fault[] };
  /** Frame ids in the order results were recorded. */
  order: number[];
}

export async function chaosRun(
  bundles: Bundles,
  home: string,
  frames: number,
  args: string[],
): Promise<ChaosRun> {
  const { stdout, stderr } = await bundles.cli(
    home,
    'run',
    '--model',
    'alexnet-mc',
    '--plan',
    'auto',
    '--frames',
    String(frames),
    '--check',
    '--json',
    ...args,
  );
  const report = JSON.parse(stdout) as ChaosRun['report'] & { runId: string };
  const dir = join(home, 'runs', report.runId);
  const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as ChaosRun['run'];
  const order = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { frameId: number }).frameId);
  expect(await readdir(dir)).toContain('report.json');
  return { report, stderr, run, order };
}

/** Every frame answered once, right, in order; the run done. */
export function expectSurvived(r: ChaosRun, frames: number): void {
  expect(r.report.frames).toEqual({
    sent: frames,
    completed: frames,
    lost: 0,
    duplicated: 0,
    mismatched: 0,
  });
  expect(r.report.maxAbsDiff).toBeLessThan(1e-5);
  expect(r.order).toEqual(Array.from({ length: frames }, (_, i) => i));
  expect(r.report.state).toBe('done');
  expect(r.run.state).toBe('done');
  // The record holds the same faults as the report.
  expect(r.run.faults).toEqual(r.report.faults);
}

/**
 * What must hold of a handled fault on any machine: it was detected, re-planned and recovered
 * from. The targets (detection < 2 s, re-plan < 1 s, recovery within 5 s) are checked by
 * `test/bench/faults.mjs`; on a loaded 2-core machine these tests saw recovery take 5.3-10.4 s,
 * so the bounds here only catch a hang, far from any measured value.
 */
export function expectHandled(f: Fault): void {
  expect(f.detectionMs).toBeGreaterThanOrEqual(0);
  expect(f.detectionMs, JSON.stringify(f)).toBeLessThan(20_000);
  expect(f.replanMs).not.toBeNull();
  expect(f.replanMs!).toBeLessThan(20_000);
  expect(f.plan).not.toBeNull();
  expect(f.recoveryS).not.toBeNull();
  expect(f.recoveryS!, JSON.stringify(f)).toBeLessThan(60);
}

/**
 * The faults of the board chaos hit. Others may show too on a machine this loaded (a board whose
 * agent is starved of CPU for the heartbeat's LOST_MS is lost, and back when it answers): they
 * must come in lost-then-back pairs with no cause.
 */
export function faultsOf(r: ChaosRun, device: string): Fault[] {
  const others = r.report.faults.filter((f) => f.device !== device);
  for (const id of new Set(others.map((f) => f.device))) {
    const seq = others.filter((f) => f.device === id);
    expect(seq.every((f) => f.cause === null)).toBe(true);
    expect(seq.map((f) => f.kind)).toEqual(seq.map((_, i) => (i % 2 === 0 ? 'lost' : 'back')));
  }
  return r.report.faults.filter((f) => f.device === device);
}

/**
 * A board cut and back in one surviving run: lost to the cut (its frames sent again elsewhere,
 * a plan without it), then back (a plan with it), each handled within the figures.
 */
export function expectCutAndBack(r: ChaosRun, frames: number, device: string): void {
  expectSurvived(r, frames);
  const mine = faultsOf(r, device);
  expect(mine.map((f) => [f.kind, f.cause])).toEqual([
    ['lost', 'cut'],
    ['back', 'back'],
  ]);
  const [cut, back] = mine as [Fault, Fault];
  expectHandled(cut);
  expect(cut.plan!.devices).not.toContain(device);
  expect(cut.resent).toBeGreaterThan(0);
  expectHandled(back);
  expect(back.plan!.devices).toContain(device);
}
