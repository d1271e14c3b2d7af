// A power session over an analytic trace whose exact energy is known: a SCPI analyzer on a real
// socket reports 20 W at idle and then a ramp of 40 W/s from the run's start, so the run's energy
// is 20 D + 20 D^2 joules for a run of D seconds.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src-main/power/clock';
import { EmulatedMeter } from '../../../src-main/power/emulated';
import { integrateJ, window } from '../../../src-main/power/energy';
import { parsePowerCsv } from '../../../src-main/power/powercsv';
import { runEnergy, sessionMeters, startPowerSession } from '../../../src-main/power/session';
import { startScpiTcpSim, type ScpiSim } from '../../sim/scpi-sim';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function testClock(): Clock & { origin: number } {
  const origin = performance.now();
  return { origin, now: () => performance.now() - origin, originEpochMs: Date.now() };
}

async function rampSim(
  garbleAt: number[] = [],
): Promise<{ sim: ScpiSim; startRamp(atPerfMs: number): void }> {
  let rampFromPerf = Infinity;
  const sim = await startScpiTcpSim('hmc8015', {
    watts: (tS) => {
      const perf = sim.clock.startMs + tS * 1000;
      return perf < rampFromPerf ? 20 : 20 + (40 * (perf - rampFromPerf)) / 1000;
    },
    garble: (n) => (garbleAt.includes(n) ? '2.3E+02,NAN,NAN' : undefined),
  });
  closers.push(sim.close);
  return { sim, startRamp: (at) => (rampFromPerf = at) };
}

describe('power session', () => {
  it('measures idle, then the run, on one clock, and writes power.csv and power.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-power-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const { sim, startRamp } = await rampSim();
    const clock = testClock();
    const emulated = new EmulatedMeter([{ device: 'pi-1', idleW: 1.3, fullW: 6.5 }], () => 0.5);
    const session = await startPowerSession({
      meters: [
        ...sessionMeters([`scpi+hmc8015://127.0.0.1:${sim.port}`], 100),
        { meter: emulated, intervalMs: 50 },
      ],
      idleSeconds: 0.6,
      runDir: dir,
      clock,
    });
    startRamp(clock.origin + session.runStartMs);
    await new Promise((r) => setTimeout(r, 1500));
    // The measured window: the whole run here (a run's own skips its warm-up and fill).
    const summary = await session.stop({ fromMs: session.runStartMs, toMs: clock.now() });
    const D = (summary.runEndMs - summary.runStartMs) / 1000;
    const W = (summary.window!.toMs - summary.window!.fromMs) / 1000;
    const exact = 20 * D + 20 * D * D;

    const analyzer = summary.meters[0]!;
    expect(analyzer.idleW).toBeCloseTo(20, 9);
    expect(analyzer.run.energyJ).toBeGreaterThan(exact * 0.99);
    expect(analyzer.run.energyJ).toBeLessThan(exact * 1.01);
    expect(analyzer.run.durationS).toBeCloseTo(D, 6);
    expect(analyzer.gaps).toEqual([]);

    const e = runEnergy(summary, { frames: 30, ips: 30 / W }, 30);
    expect(e.basis).toBe('farm-meter');
    expect(e.emulated).toBe(false);
    expect(e.idleW).toBeCloseTo(20, 9);
    // The paper's method over the window: idle W / IPS, (average W - idle W) / IPS.
    expect(e.perInferenceJ!.static).toBeCloseTo((20 * W) / 30, 9);
    expect(e.perInferenceJ!.dynamic).toBeCloseTo((e.window!.energyJ - 20 * W) / 30, 6);
    expect(e.perInferenceJ!.dynamic).toBeCloseTo((20 * W * W) / 30, 1);
    expect(e.wholeRun).toMatchObject({ seconds: D, inferences: 30 });
    expect(e.perInferenceJ!.total).toBeCloseTo(
      e.perInferenceJ!.static + e.perInferenceJ!.dynamic,
      9,
    );
    const pi = e.meters.find((m) => m.meter === 'emulated@pi-1')!;
    expect(pi.emulated).toBe(true);
    expect(pi.scope).toEqual({ kind: 'devices', devices: ['pi-1'] });
    expect(pi.avgW).toBeCloseTo(3.9, 9);

    // The file holds every sample, idle ones included; the run's window of it gives the same energy.
    const csv = parsePowerCsv(await readFile(join(dir, 'power.csv'), 'utf8'));
    const rows = csv.get(analyzer.info.label)!;
    expect(rows.length).toBeGreaterThan(analyzer.run.samples);
    expect(integrateJ(window(rows, summary.runStartMs, summary.runEndMs))).toBeCloseTo(
      analyzer.run.energyJ,
      2,
    );
    const json = JSON.parse(await readFile(join(dir, 'power.json'), 'utf8'));
    expect(json.meters[0].run.energyJ).toBe(analyzer.run.energyJ);
  });

  it('leaves garbage readings out, counts them and flags the gap they leave', async () => {
    // Two refused readings in a row leave ~300 ms without samples at a 100 ms interval.
    const { sim } = await rampSim([12, 13]);
    const session = await startPowerSession({
      meters: sessionMeters([`scpi+hmc8015://127.0.0.1:${sim.port}?interval=0.1`]),
      idleSeconds: 0.5,
    });
    await new Promise((r) => setTimeout(r, 1200));
    const s = await session.stop();
    expect(s.meters[0]!.garbage).toBe(2);
    expect(s.meters[0]!.error).toBeNull();
    expect(s.meters[0]!.gaps).toHaveLength(1);
    const gap = s.meters[0]!.gaps[0]!;
    expect(gap.toS - gap.fromS).toBeGreaterThan(0.2);
  });

  it('takes given idle watts instead of measuring, and refuses 0 s of idle without them', async () => {
    const { sim } = await rampSim();
    await expect(
      startPowerSession({
        meters: sessionMeters([`scpi+hmc8015://127.0.0.1:${sim.port}`]),
        idleSeconds: 0,
      }),
    ).rejects.toThrow('--idle-seconds 0 needs --idle-watts W');
    const session = await startPowerSession({
      meters: sessionMeters([`scpi+hmc8015://127.0.0.1:${sim.port}`], 100),
      idleWatts: 12.5,
    });
    expect(session.idle.get(`hmc8015@127.0.0.1:${sim.port}`)).toBe(12.5);
    await new Promise((r) => setTimeout(r, 400));
    const e = runEnergy(
      await session.stop({ fromMs: session.runStartMs, toMs: session.clock.now() }),
      { frames: 10, ips: 25 },
      10,
    );
    expect(e.idleW).toBe(12.5);
    expect(e.perInferenceJ!.dynamic).toBeCloseTo((e.window!.avgW - 12.5) / 25, 9);
  });

  it('fails before the run when a meter cannot be reached', async () => {
    const { sim } = await rampSim();
    await sim.close();
    await expect(
      startPowerSession({
        meters: sessionMeters([`scpi+hmc8015://127.0.0.1:${sim.port}`]),
        idleSeconds: 1,
      }),
    ).rejects.toThrow(/cannot connect/);
  });

  it('reconnects a meter whose connection drops, and gives up on one that stays away', async () => {
    const { sim } = await rampSim();
    const gone = await rampSim();
    const session = await startPowerSession({
      meters: sessionMeters(
        [`scpi+hmc8015://127.0.0.1:${sim.port}`, `scpi+hmc8015://127.0.0.1:${gone.sim.port}`],
        100,
      ),
      idleSeconds: 0.3,
    });
    sim.drop();
    await gone.sim.close();
    await new Promise((r) => setTimeout(r, 1500));
    const s = await session.stop();
    const [back, lost] = s.meters;
    expect(back!.error).toBeNull();
    expect(sim.commands.filter((c) => c === '*IDN?')).toHaveLength(2);
    expect(back!.run.samples).toBeGreaterThan(8);
    expect(lost!.error).toMatch(/^hmc8015@127\.0\.0\.1:\d+: cannot connect/);
    // The farm figure comes from the meters that kept going.
    expect(runEnergy(s, null, 10).meters.map((m) => m.error === null)).toEqual([true, false]);
  });
});
