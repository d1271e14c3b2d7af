// A meter added to a power session mid-run (a board that joined the run): sampled on the
// session's clock from its join on and never before, its idle taken as given (an emulated
// board's profile), its window in power.json, and its joules in the run's total, counted for the
// share of the measured window it was in the run.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatedBoardMeter, EmulatedMeter } from '../../../src-main/power/emulated';
import { PowerFeed, runningEnergy } from '../../../src-main/power/live';
import { runEnergy, sessionMeters, startPowerSession } from '../../../src-main/power/session';
import { PowerSummary } from '../../../src-main/power/summary';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a power session adding a meter mid-run', () => {
  it("measures the joined board from its join on, and counts its joules in the run's", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-power-add-'));
    dirs.push(dir);
    // pi-1 draws 3.9 W all through; pi-2 (idle 2 W, full 6 W) runs flat out once it joins.
    const pi1 = new EmulatedMeter([{ device: 'pi-1', idleW: 1.3, fullW: 6.5 }], () => 0.5);
    const session = await startPowerSession({
      meters: [{ meter: pi1, intervalMs: 20 }],
      idleSeconds: 0.2,
      runDir: dir,
    });
    const { clock, runStartMs } = session;
    // The Run view's feed, made at the run's start as the run makes it.
    const feed = new PowerFeed(session.meters, runStartMs);
    await pause(600);
    expect(feed.next(runStartMs).map((m) => m.meter)).toEqual(['emulated@pi-1']);
    const before = clock.now();
    const pi2 = emulatedBoardMeter({ device: 'pi-2', idleW: 2, fullW: 6 }, () => 1, 20);
    await session.add(pi2);
    const after = clock.now();
    // The same board again (a second join of one label) adds nothing.
    await session.add(emulatedBoardMeter({ device: 'pi-2', idleW: 2, fullW: 6 }, () => 1, 20));
    expect(session.meters.map((m) => m.info.label)).toEqual(['emulated@pi-1', 'emulated@pi-2']);
    await pause(600);
    // The live figures take it in while the run goes: the Run view's stream gets its samples,
    // from its join on.
    const fed = feed.next(runStartMs).find((m) => m.meter === 'emulated@pi-2');
    expect(fed!.samples.length).toBeGreaterThan(5);
    expect(fed!.samples[0]![0]).toBeGreaterThanOrEqual((before - runStartMs) / 1000);
    expect(fed!.samples[0]![1]).toBe(6);
    const liveWindow = { fromMs: runStartMs + 100, toMs: clock.now(), frames: 10, ips: 10 };
    const live = runningEnergy(session.meters, null, liveWindow);
    // pi-1's 3.9 W and pi-2's 6 W for the part of the window since its join (about half).
    expect(live!.avgW).toBeGreaterThan(3.9 + 6 * 0.3);
    expect(live!.avgW).toBeLessThan(3.9 + 6 * 0.7);

    const measured = { fromMs: runStartMs + 100, toMs: clock.now() };
    const summary = await session.stop(measured);
    await session.add(emulatedBoardMeter({ device: 'pi-3', idleW: 2, fullW: 6 }, () => 1, 20));
    expect(summary.meters.map((m) => m.info.label)).toEqual(['emulated@pi-1', 'emulated@pi-2']);

    const [m1, m2] = summary.meters;
    const runS = (summary.runEndMs - runStartMs) / 1000;
    expect(m1!.covered).toEqual({ fromS: 0, toS: runS });
    expect(m1!.idleW).toBeCloseTo(3.9, 9);
    // Joined between the two clock readings around add(), measured until the run's end.
    expect(m2!.covered!.fromS).toBeGreaterThanOrEqual((before - runStartMs) / 1000);
    expect(m2!.covered!.fromS).toBeLessThanOrEqual((after - runStartMs) / 1000);
    expect(m2!.covered!.toS).toBe(runS);
    expect(m2!.idleW).toBe(2);
    // No idle joules invented before its join: 6 W over what it covered, not over the run.
    const coveredS = m2!.covered!.toS - m2!.covered!.fromS;
    expect(m2!.run.energyJ).toBeGreaterThan(6 * coveredS * 0.8);
    expect(m2!.run.energyJ).toBeLessThan(6 * coveredS * 1.05);
    expect(m2!.run.energyJ).toBeLessThan(6 * runS * 0.8);

    // power.json holds both, with the joined one's window, and reads back.
    const onDisk = PowerSummary.parse(JSON.parse(await readFile(join(dir, 'power.json'), 'utf8')));
    expect(onDisk.meters[1]!.covered).toEqual(m2!.covered);
    const csv = await readFile(join(dir, 'power.csv'), 'utf8');
    expect(csv).toContain('emulated@pi-2');

    const W = (measured.toMs - measured.fromMs) / 1000;
    const e = runEnergy(summary, { frames: 10 * W, ips: 10 }, 10 * W);
    expect(e.wholeRun.energyJ).toBeCloseTo(m1!.run.energyJ + m2!.run.energyJ, 9);
    expect(e.wholeRun.energyJ).toBeGreaterThan(m1!.run.energyJ + 6 * coveredS * 0.8);
    expect(e.meters[1]!.covered).toEqual(m2!.covered);
    // Over the window: pi-2's joules over the window's seconds, its idle for its share of it.
    const share = (measured.toMs - (runStartMs + m2!.covered!.fromS * 1000)) / (W * 1000);
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
    expect(e.idleW).toBeCloseTo(3.9 + 2 * share, 9);
    expect(e.window!.energyJ).toBeCloseTo(m1!.window!.energyJ + m2!.window!.energyJ, 9);
    expect(e.window!.avgW).toBeCloseTo(m1!.window!.avgW + m2!.window!.avgW * share, 9);
    expect(e.window!.avgW).toBeCloseTo(e.window!.energyJ / W, 1);
    expect(e.meters[1]!.perInferenceJ!.total).toBeCloseTo(m2!.window!.energyJ / (10 * W), 1);
  });

  it('leaves out what an added meter reports from before its join (a log of the whole day)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-power-add-'));
    dirs.push(dir);
    // Another tool's log of pi-2's plug, 5 W every 50 ms from the session's start for 10 s.
    const log = join(dir, 'pi-2.csv');
    const rows = Array.from({ length: 201 }, (_, i) => `${(i * 0.05).toFixed(2)},5`);
    await writeFile(log, ['t,w', ...rows].join('\n'));
    const pi1 = new EmulatedMeter([{ device: 'pi-1', idleW: 1.3, fullW: 6.5 }], () => 0);
    const session = await startPowerSession({
      meters: [{ meter: pi1, intervalMs: 20 }],
      idleSeconds: 0.2,
    });
    await pause(500);
    const before = session.clock.now();
    const [plug] = sessionMeters([`csv://${log}?device=pi-2`]);
    await session.add(plug!);
    const after = session.clock.now();
    await pause(300);
    const summary = await session.stop();
    const m = summary.meters[1]!;
    expect(m.info.label).toBe(`csv@${log}`);
    expect(m.idleW).toBeNull(); // a real meter added mid-run: no idle stretch to measure it in
    const ofRun = (ms: number) => (ms - summary.runStartMs) / 1000;
    expect(m.covered!.fromS).toBeGreaterThanOrEqual(ofRun(before));
    expect(m.covered!.fromS).toBeLessThanOrEqual(ofRun(after));
    // Its first row kept is the first at or after the join: 5 W over the rest of the run only.
    const runS = ofRun(summary.runEndMs);
    expect(m.run.durationS).toBeLessThanOrEqual(runS - m.covered!.fromS);
    expect(m.run.durationS).toBeGreaterThan(runS - m.covered!.fromS - 0.1);
    expect(m.run.energyJ).toBeCloseTo(5 * m.run.durationS, 6);
  });
});
