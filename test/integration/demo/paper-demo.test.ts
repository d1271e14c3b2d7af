// The demo's second part: the paper's runs on one virtual farm and the table beside the published
// figures. A quick variant of the real thing (two AlexNet runs on 6 emulated Pi 3s, a few seconds
// each) through real agents, then the table's logic on its own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src-main/log';
import {
  builtInProfile,
  farmFromSpec,
  loadPlannerModel,
  presetPlan,
} from '../../../src-main/planner/index';
import { PAPER_FIGURES } from '../../../src-main/reports/paper';
import {
  paperFigureFor,
  paperTableRows,
  paperTableText,
  type PaperTableRun,
} from '../../../src-main/reports/paper-table';
import {
  framesFor,
  replicasOf,
  runPaperDemo,
  summarisePaperDemo,
  windowFor,
} from '../../../src-main/scenarios/paper-demo';
import { warmupFrames } from '../../../src-main/runtime/stats';
import { readRun } from '../../../src-main/store/runs';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dataDir: string;
let bundles: Bundles;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-paper-demo-'));
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await bundles.remove();
});

const figure = (model: string, system: string) =>
  PAPER_FIGURES.find((f) => f.model === model && f.system === system);

describe('paper demo runs', () => {
  it('runs the paper plan and the planner on one farm, records them and tables them', async () => {
    const said: string[] = [];
    const { runs } = await runPaperDemo({
      seconds: 2,
      cases: [
        { model: 'alexnet-mc', boards: 6, plan: 'paper-6' },
        { model: 'alexnet-mc', boards: 6, plan: 'auto' },
      ],
      dataDir,
      log: createLogger('silent'),
      say: (l) => said.push(l),
    });
    // One farm for both runs: started once.
    expect(said.filter((l) => l.startsWith('virtual farm:'))).toHaveLength(1);
    expect(runs.map((r) => r.error)).toEqual([null, null]);
    const summary = await summarisePaperDemo(runs, dataDir);
    for (const [i, r] of runs.entries()) {
      const rep = r.report!;
      expect(rep.state).toBe('done');
      expect(rep.frames).toMatchObject({ sent: r.frames, completed: r.frames, lost: 0 });
      expect(rep.emulated).toBe(true);
      expect(rep.ips).toBeGreaterThan(0);
      expect((await readRun(dataDir, rep.runId)).run.state).toBe('done');
      // The emulated boards' power as the store recorded it: idle from their profiles (six
      // boards, all on the run's farm), more while they compute; the table shows its figures.
      const stored = (await readRun(dataDir, rep.runId)).run;
      const energy = stored.energy!;
      expect(energy.idleW).toBeCloseTo(6 * builtInProfile('pi3').power.idleWatts, 6);
      expect(energy.window!.avgW).toBeGreaterThan(energy.idleW);
      expect(summary.runs[i]!.energy).toEqual(energy.perInferenceJ);
      expect(summary.runs[i]!.ips).toBe(stored.ips);
      expect(stored.window!.frames).toBe(energy.window!.frames);
      expect(summary.runs[i]!.faults).toBe(rep.faults.length);
    }
    // The farm a run sees is the first N agents: auto plans all 6 boards as replicas.
    expect(runs[1]!.report!.devices.map((d) => d.id).sort()).toEqual(
      ['pi3-1', 'pi3-2', 'pi3-3', 'pi3-4', 'pi3-5', 'pi3-6'].sort(),
    );

    const [p6, auto] = summary.rows;
    const [paper6Ips, autoIps] = runs.map((r) => r.report!.ips!);
    expect(p6!.paper).toBe(figure('AlexNet', '6 Pis'));
    expect(auto!.vsPaperPlan).toBeCloseTo(autoIps! / paper6Ips!, 9);
    const autoIdle = (await readRun(dataDir, runs[1]!.report!.runId)).run.energy!.idleW;
    expect(auto!.energy!.static).toBeCloseTo(autoIdle / autoIps!, 9);
    const text = paperTableText(summary.rows);
    expect(text).toContain('TX2 GPU');
    expect(text).toMatch(/6 Pi 3\s+paper-6\s+\d+\s+\d+\.\d\d\s+5\.91\s+5\.70/);

    // The HTML summary sits in the store beside the runs and shows each of them.
    expect(summary.html).toBe(
      join(dataDir, 'reports', `paper-demo-${runs[0]!.report!.runId}.html`),
    );
    const page = await readFile(summary.html!, 'utf8');
    for (const r of runs) expect(page).toContain(r.report!.runId);
  }, 300_000);

  it('repeats each case as a set and tables it once, with the spread (demo --repeat)', async () => {
    const { runs } = await runPaperDemo({
      seconds: 2,
      repeat: 2,
      cases: [{ model: 'alexnet-mc', boards: 1, plan: 'auto' }],
      dataDir,
      log: createLogger('silent'),
    });
    expect(runs.map((r) => r.report?.state)).toEqual(['done', 'done']);
    const stored = await Promise.all(
      runs.map(async (r) => (await readRun(dataDir, r.report!.runId)).run),
    );
    const set = stored[0]!.repeat!.set;
    expect(stored.map((r) => r.repeat)).toEqual([
      { set, index: 1, of: 2 },
      { set, index: 2, of: 2 },
    ]);
    const summary = await summarisePaperDemo(runs, dataDir);
    const [row] = summary.rows;
    const ips = stored.map((r) => r.ips!);
    expect(row).toMatchObject({ plan: 'auto', runs: 2 });
    expect(row!.spread!.ips).toMatchObject({ n: 2, min: Math.min(...ips), max: Math.max(...ips) });
    expect(row!.run!.ips).toBeCloseTo((ips[0]! + ips[1]!) / 2, 12);
    expect(paperTableText(summary.rows)).toMatch(
      /1 Pi 3\s+auto\s+\d+\s+2\s+\d+\.\d\d ± \d+\.\d\d \(/,
    );
  }, 300_000);
});

describe('paper demo table and frame counts', () => {
  it('measures whole bursts of the widest stage after warm-up and fill, two rounds at least', () => {
    for (const replicas of [1, 3, 6, 7, 8])
      for (const ips of [0.5, 1, 5.9, 11])
        for (const seconds of [2, 8, 20]) {
          const n = framesFor(ips, replicas, seconds);
          // RunFigures skips the warm-up and one round (the fill), then measures the rest.
          const measured = (k: number) => k - Math.max(warmupFrames(k), replicas);
          const want = Math.max(2 * replicas, Math.ceil(ips * seconds), 2);
          expect(measured(n) % replicas).toBe(0);
          expect(measured(n)).toBeGreaterThanOrEqual(want);
          // The smallest such count: every shorter run misses a condition.
          for (let k = 2; k < n; k++)
            expect(measured(k) % replicas === 0 && measured(k) >= want).toBe(false);
        }
  });

  it('gives VGG16 paper-11 one frame in flight per replica and AlexNet two', () => {
    const vgg = presetPlan('paper-11', loadPlannerModel('vgg16'), farmFromSpec('pi3:11'));
    expect(replicasOf(vgg)).toBe(7);
    expect(windowFor(vgg)).toBe(1);
    const alex = presetPlan('paper-6', loadPlannerModel('alexnet-mc'), farmFromSpec('pi3:6'));
    expect(windowFor(alex)).toBe(2);
  });

  it("matches each preset with the paper's figure and lists the TX2 beside them", () => {
    expect(paperFigureFor('vgg16', 'paper-9')).toBe(figure('VGG16', '9 Pis'));
    expect(paperFigureFor('alexnet-mc', 'paper-5')).toBe(figure('AlexNet', '5 Pis'));
    expect(paperFigureFor('alexnet-mc', 'auto')).toBeNull();
    expect(paperFigureFor('tiny-cnn', 'paper-5')).toBeNull();
    const run = (plan: string, ips: number | null): PaperTableRun => ({
      model: 'vgg16',
      boards: 11,
      plan,
      frames: 15,
      runId: null,
      state: ips === null ? 'failed' : 'done',
      ips,
      predictedIps: 1,
      // As runEnergy records it: 14.3 W idle, 40 W on average over the window.
      energy: ips === null ? null : { static: 14.3 / ips, dynamic: 25.7 / ips, total: 40 / ips },
      emulationOverruns: 0,
      faults: 0,
    });
    const rows = paperTableRows([run('paper-9', 0.5), run('paper-11', 0.9), run('auto', 1.08)]);
    expect(rows.map((r) => r.farm)).toEqual([
      '11 Pi 3',
      '11 Pi 3',
      '11 Pi 3',
      'TX2 GPU',
      'TX2 CPU',
    ]);
    // The planner is compared with the paper's largest plan on the farm, not the first.
    expect(rows[2]!.vsPaperPlan).toBeCloseTo(1.2, 9);
    const e = rows[1]!.energy!;
    expect([e.static, e.dynamic, e.total].map((j) => j * 0.9)).toEqual([
      expect.closeTo(14.3, 9),
      expect.closeTo(25.7, 9),
      expect.closeTo(40, 9),
    ]);
    // A failed run has no figures and takes no part in the comparison.
    const failed = paperTableRows([run('paper-11', null), run('auto', 1.08)]);
    expect(failed[0]!.energy).toBeNull();
    expect(failed[1]!.vsPaperPlan).toBeNull();
    expect(paperTableText(failed)).toMatch(/paper-11\s+15\s+failed/);
    // A run that failed part-way keeps its IPS on show, marked, and out of the comparison.
    const partial = paperTableRows([
      run('paper-11', 0.9),
      { ...run('auto', 1.5), state: 'failed', faults: 4 },
    ]);
    expect(partial[1]!.vsPaperPlan).toBeNull();
    expect(paperTableText(partial)).toMatch(/auto\s+15\s+1\.50 failed.*\s4$/m);
  });
});
