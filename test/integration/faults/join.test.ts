// A board that joins the virtual farm while a run goes (`mchair farm add --emulate pi4:1`): the
// run notices it in the farm file, probes its agent, and re-plans with it since the planner
// predicts far more than 5% more IPS; the re-plan loses no frame, and the IPS measured after it
// rises against the IPS before, as predicted (real agents, real onnxruntime, emulated timing).
// Its energy is the run's from its chair on: its emulated meter starts at the join (none before),
// its joules are in the run's total, and the report says which stretch it measured.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunEnergy } from '../../../src-main/contract/energy';
import { PowerSummary } from '../../../src-main/power/summary';
import { fmt } from '../../../src-main/reports/svg';
import { chaosFixture, expectSurvived, type ChaosRun, type Fault } from './chaos-run';

const fx = chaosFixture();
const FRAMES = 140;

interface Metrics {
  t: number;
  completed: number;
}

/** A run's once-a-second metrics, as recorded so far (none before it has an id). */
async function metricsSoFar(
  home: string,
  before: ReadonlySet<string>,
): Promise<{ dir: string | null; m: Metrics[] }> {
  const runs = await readdir(join(home, 'runs')).catch(() => [] as string[]);
  const id = runs.find((r) => !before.has(r));
  if (id === undefined) return { dir: null, m: [] };
  const dir = join(home, 'runs', id);
  const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return {
    dir,
    m: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Metrics),
  };
}

/** Frames per second between two times (s since the first frame), from the metrics' counts. */
function rate(m: readonly Metrics[], from: number, to: number): number {
  const a = m.find((x) => x.t >= from)!;
  const b = [...m].reverse().find((x) => x.t <= to)!;
  return (b.completed - a.completed) / (b.t - a.t);
}

let runPid: number | null = null;
afterAll(async () => {
  if (runPid !== null) {
    try {
      process.kill(runPid, 'SIGKILL');
    } catch {
      // ended already
    }
  }
  await fx.bundles.cli(fx.home, 'farm', 'down').catch(() => undefined);
});

interface Joined {
  report: ChaosRun['report'] & { runId: string };
  dir: string;
  m: Metrics[];
  /** The one join of the run. */
  f: Fault;
}

/**
 * `mchair run` (with `args`) on a virtual farm of two Pi 3s, a Pi 4 added once it has gone a few
 * seconds; checks that no frame was lost and the Pi 4 joined, once.
 */
async function runWithJoin(args: string[]): Promise<Joined> {
  await fx.bundles.cli(fx.home, 'farm', 'down').catch(() => undefined);
  await fx.bundles.cli(fx.home, 'farm', 'up', '--emulate', 'pi3:2');
  const farmFile = join(fx.home, 'farm', 'farm.json');
  const earlier = new Set(await readdir(join(fx.home, 'runs')).catch(() => [] as string[]));
  const child = fx.bundles.start(
    fx.home,
    ...['run', '--model', 'alexnet-mc', '--farm', farmFile, '--plan', 'auto'],
    ...['--frames', String(FRAMES), '--check', '--json', ...args],
  );
  runPid = child.pid ?? null;
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  // Joins once the run has gone a few seconds on its two boards (~3.6 IPS predicted).
  for (;;) {
    const { m } = await metricsSoFar(fx.home, earlier);
    if ((m[m.length - 1]?.completed ?? 0) >= 25) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const added = await fx.bundles.cli(fx.home, 'farm', 'add', '--emulate', 'pi4:1', '--json');
  // The farm's boards after the add: the two it had and the one added.
  expect(JSON.parse(added.stdout).devices).toContainEqual(
    expect.objectContaining({ id: 'pi4-1', profile: 'pi4', alive: true }),
  );

  expect(await exited, stderr).toBe(0);
  runPid = null;
  const report = JSON.parse(stdout) as Joined['report'];
  const { dir, m } = await metricsSoFar(fx.home, earlier);
  const run = JSON.parse(await readFile(join(dir!, 'run.json'), 'utf8')) as ChaosRun['run'];
  const order = (await readFile(join(dir!, 'results.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { frameId: number }).frameId);
  expectSurvived({ report, stderr, run, order }, FRAMES);

  const joins = report.faults.filter((f) => f.kind === 'joined');
  expect(joins).toHaveLength(1);
  return { report, dir: dir!, m, f: joins[0]! };
}

describe('a board added to the virtual farm mid-run', () => {
  it('is offered a chair: re-planned in, no frame lost, IPS up as predicted', async () => {
    const { report, dir, m, f } = await runWithJoin([]);
    expect(f).toMatchObject({ kind: 'joined', device: 'pi4-1', cause: null });
    expect(f.plan!.devices).toContain('pi4-1');
    expect(f.redeployMs).not.toBeNull();
    // Noticed from the farm file within its poll, probed in one ping (not bounds of speed: a
    // loaded machine may take seconds; just that it happened before the run was over).
    expect(f.detectionMs).toBeGreaterThanOrEqual(0);
    expect(f.detectionMs).toBeLessThan(10_000);
    // pi3:2 predicts 3.64 IPS, pi3:2 + pi4:1 7.93: +118%.
    const predicted = f.plan!.predictedIps / report.predictedIps - 1;
    expect(f.gain!).toBeCloseTo(predicted, 6);
    expect(f.gain!).toBeGreaterThan(0.05);

    // Measured: before the join (after the first results) and after the new plan is in (from a
    // second after its redeploy until the last frames drain).
    const joinedAt = f.detectedAt + (f.redeployMs ?? 0) / 1000;
    const before = rate(m, 2, f.at);
    const after = rate(m, joinedAt + 1, m[m.length - 1]!.t - 1);
    const rise = after / before - 1;
    console.log(
      `join: IPS before ${before.toFixed(2)} (predicted ${report.predictedIps.toFixed(2)}), after ${after.toFixed(2)} (predicted ${f.plan!.predictedIps.toFixed(2)}); measured rise ${(100 * rise).toFixed(0)}% vs predicted ${(100 * predicted).toFixed(0)}%; noticed in ${f.detectionMs.toFixed(0)} ms, re-plan ${f.replanMs!.toFixed(0)} ms, redeploy ${f.redeployMs!.toFixed(0)} ms, ${f.resent} frames sent again`,
    );
    // Measured +117% on a quiet machine; a loaded one still shows far more than +20%.
    expect(after).toBeGreaterThan(1.2 * before);

    // At least its idle watts (2.7 W) from its chair on; the window's idle is the two Pi 3s'
    // (1.3 W each) and the Pi 4's for its share of the window.
    await expectJoinedEnergy(dir, f, report.runId, {
      label: 'emulated@pi4-1',
      emulated: true,
      idleW: 2.7,
      minW: 2.7,
      farmIdleW: [2.6, 2.6 + 2.7 + 1e-9],
    });
  }, 180_000);

  it('is measured by the --meter naming it from its join on, not before', async () => {
    // Other tools' logs of the boards' plugs, from the run's power session on for 200 s: 3 W for
    // the two Pi 3s, 4 W for the Pi 4 that is not in the farm when the run starts.
    const rows = (w: number) =>
      Array.from({ length: 2001 }, (_, i) => `${(i / 10).toFixed(1)},${w}`);
    const pis = join(fx.home, 'pi3s.csv');
    const pi4 = join(fx.home, 'pi4.csv');
    await writeFile(pis, ['t,w', ...rows(3)].join('\n'));
    await writeFile(pi4, ['t,w', ...rows(4)].join('\n'));
    const { report, dir, f } = await runWithJoin([
      ...['--meter', `csv://${pis}?devices=pi3-1,pi3-2`],
      ...['--meter', `csv://${pi4}?device=pi4-1`, '--idle-seconds', '1'],
    ]);
    expect(f.plan!.devices).toContain('pi4-1');
    // A real meter added mid-run has no idle of its own: the farm's is the Pi 3s' log's 3 W.
    await expectJoinedEnergy(dir, f, report.runId, {
      label: `csv@${pi4}`,
      emulated: false,
      idleW: null,
      minW: 4,
      farmIdleW: [3 - 1e-9, 3 + 1e-9],
    });
  }, 180_000);
});

/** What the joined board's meter should show. */
interface JoinedMeter {
  label: string;
  emulated: boolean;
  /** Its idle watts: its profile's when emulated; unknown (null) for a real one added mid-run. */
  idleW: number | null;
  /** The least it draws. */
  minW: number;
  /** Bounds of the farm's idle watts over the measured window. */
  farmIdleW: [number, number];
}

/** power.json, run.json's energy and the HTML report count the joined board from its join on. */
async function expectJoinedEnergy(dir: string, f: Fault, id: string, want: JoinedMeter) {
  const power = PowerSummary.parse(JSON.parse(await readFile(join(dir, 'power.json'), 'utf8')));
  const pi4 = power.meters.find((x) => x.info.label === want.label);
  expect(pi4, 'a meter for the joined board in power.json').toBeDefined();
  expect(pi4!.info.emulated).toBe(want.emulated);
  expect(pi4!.idleW).toBe(want.idleW);
  for (const m of power.meters.filter((x) => x !== pi4)) expect(m.covered!.fromS).toBe(0);
  // power.json's seconds run from the power session's start, a moment before the first frame the
  // fault's are timed from: the meter starts after the join was noticed, before its redeploy ended.
  const { fromS, toS } = pi4!.covered!;
  const runS = (power.runEndMs - power.runStartMs) / 1000;
  console.log(
    `join energy: pi4-1 metered from ${fromS.toFixed(2)} s to ${toS.toFixed(2)} s of ${runS.toFixed(2)} (noticed at ${f.detectedAt.toFixed(2)} s, re-plan ${f.replanMs!.toFixed(0)} ms, redeploy ${f.redeployMs!.toFixed(0)} ms), ${pi4!.run.energyJ.toFixed(1)} J in ${pi4!.run.samples} samples`,
  );
  expect(fromS).toBeGreaterThanOrEqual(f.detectedAt);
  expect(fromS).toBeLessThan(f.detectedAt + (f.replanMs! + f.redeployMs!) / 1000 + 5);
  expect(toS).toBe(runS);
  expect(pi4!.run.samples).toBeGreaterThan(2);
  // No idle joules invented before the join: its samples span what it covered, not the run.
  expect(pi4!.run.durationS).toBeLessThanOrEqual(toS - fromS + 1e-6);
  expect(pi4!.run.durationS).toBeLessThan(runS - 1);
  expect(pi4!.run.energyJ).toBeGreaterThan(want.minW * pi4!.run.durationS * 0.99);

  const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { energy: unknown };
  const energy = RunEnergy.parse(run.energy);
  expect(energy.basis).toBe('device-meters');
  const joined = energy.meters.find((m) => m.meter === want.label)!;
  expect(joined.covered).toEqual({ fromS, toS });
  const others = energy.meters.filter((m) => m !== joined).reduce((s, m) => s + m.energyJ, 0);
  console.log(
    `join energy: whole run ${energy.wholeRun.energyJ.toFixed(1)} J (${others.toFixed(1)} J without ${want.label}), window idle ${energy.idleW.toFixed(2)} W, total ${energy.perInferenceJ!.total.toFixed(3)} J/inference`,
  );
  // Its joules are in the run's: the total is the others' and its own, not the others' alone.
  expect(energy.wholeRun.energyJ).toBeCloseTo(others + joined.energyJ, 6);
  expect(energy.wholeRun.energyJ).toBeGreaterThan(others + 0.9 * joined.energyJ);
  expect(energy.perInferenceJ).not.toBeNull();
  expect(energy.idleW).toBeGreaterThan(want.farmIdleW[0]);
  expect(energy.idleW).toBeLessThanOrEqual(want.farmIdleW[1]);

  const html = join(dir, 'join-report.html');
  await fx.bundles.cli(fx.home, 'report', id, '--format', 'html', '--out', html);
  // Its row of the meters table says which stretch of the run it measured.
  const shown = await readFile(html, 'utf8');
  const at = shown.indexOf(`<tr><td>${want.label}`);
  expect(at).toBeGreaterThan(0);
  expect(shown.slice(at, shown.indexOf('</tr>', at))).toContain(
    `${fmt(fromS)}–${fmt(toS)} s of the run only`,
  );
}
