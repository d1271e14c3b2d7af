// agent:// meters: the agent's RailsReading is validated, its timestamp moved onto the session
// clock by the measured offset; outside a run there is no agent to ask. Emulated meters follow
// utilisation.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentMeter, type AgentPowerLink } from '../../../src-main/power/agent';
import type { Clock } from '../../../src-main/power/clock';
import {
  EmulatedMeter,
  emulatedFarmMeters,
  emulatedWatts,
  UtilisationTracker,
} from '../../../src-main/power/emulated';
import { meterFor } from '../../../src-main/power/open';
import { railsFromTegrastats } from '../../../src-main/power/rails';
import { readMeter } from '../../../src-main/power/read';
import type { PowerSample } from '../../../src-main/power/sample';
import { parseMeterUri } from '../../../src-main/power/uri';

const line = readFileSync(new URL('fixtures/tegrastats-r32.txt', import.meta.url), 'utf8');

async function take(
  meter: AgentMeter | EmulatedMeter,
  n: number,
  clock: Clock,
): Promise<PowerSample[]> {
  const ac = new AbortController();
  const out: PowerSample[] = [];
  for await (const s of meter.samples({ intervalMs: 10, clock, signal: ac.signal })) {
    out.push(s);
    if (out.length === n) ac.abort();
  }
  return out;
}

describe('AgentMeter', () => {
  it('reads the board total and times it by the agent clock less the offset', async () => {
    let agentNow = 50_000;
    const link: AgentPowerLink = {
      offsetMs: 49_000,
      readPower: async () => railsFromTegrastats((agentNow += 100), line),
    };
    const spec = parseMeterUri('agent://tx2-1');
    if (spec.kind !== 'agent') throw new Error('kind');
    const meter = new AgentMeter(spec, async (device) =>
      device === 'tx2-1' ? link : Promise.reject(new Error('unknown')),
    );
    await meter.open();
    const got = await take(meter, 2, { now: () => 0, originEpochMs: 0 });
    expect(got).toEqual([
      { w: 3.056, t: 1100 },
      { w: 3.056, t: 1200 },
    ]);
    expect(meter.source).toBe('tegrastats');
    expect(meter.info.scope).toEqual({ kind: 'devices', devices: ['tx2-1'] });
  });

  it('refuses a malformed answer in one line', async () => {
    const spec = parseMeterUri('agent://pi5');
    if (spec.kind !== 'agent') throw new Error('kind');
    const meter = new AgentMeter(spec, async () => ({
      offsetMs: 0,
      readPower: async () => ({ t: 0, source: 'pmic', totalW: 'NaN', rails: [] }),
    }));
    await meter.open();
    await expect(meter.read()).rejects.toThrow(
      'agent@pi5: powerRead.totalW: Invalid input: expected number, received string (and 1 more)',
    );
  });

  it('says how to use it when there is no run to reach the agent through', async () => {
    await expect(readMeter('agent://pi-3', { seconds: 0.1 })).rejects.toThrow(
      /read through the device's agent; use this meter in a run/,
    );
    expect(meterFor('agent://pi-3').info.label).toBe('agent@pi-3');
  });
});

describe('EmulatedMeter', () => {
  it('draws idle + (full - idle) x utilisation per device, labelled emulated', async () => {
    const util: Record<string, number> = { a: 0.5, b: 2 };
    const m = new EmulatedMeter(
      [
        { device: 'a', idleW: 1.3, fullW: 6.5 },
        { device: 'b', idleW: 5, fullW: 15 },
        { device: 'c', idleW: 1, fullW: 2 },
      ],
      (d) => util[d],
    );
    expect(m.info.emulated).toBe(true);
    expect(m.info.label).toBe('emulated@3 devices');
    const [s] = await take(m, 1, { now: () => 0, originEpochMs: 0 });
    // a: 1.3 + 5.2 x 0.5; b clamped to full; c has no metrics yet: idle.
    expect(s!.w).toBeCloseTo(3.9 + 15 + 1, 12);
    expect(emulatedWatts({ device: 'x', idleW: 2, fullW: 4 }, -1)).toBe(2);
  });

  it('follows the run metrics, one meter per device', async () => {
    const tracker = new UtilisationTracker();
    const meters = emulatedFarmMeters(
      [
        { device: 'pi-1', idleW: 1.3, fullW: 6.5 },
        { device: 'tx2', idleW: 5, fullW: 15 },
      ],
      tracker.source,
    );
    expect(meters.map((m) => [m.meter.info.label, m.meter.info.scope, m.intervalMs])).toEqual([
      ['emulated@pi-1', { kind: 'devices', devices: ['pi-1'] }, 250],
      ['emulated@tx2', { kind: 'devices', devices: ['tx2'] }, 250],
    ]);
    const tx2 = meters[1]!.meter as EmulatedMeter;
    expect((await tx2.read()).w).toBe(5);
    // One second's metrics naming only the boards busy with a part of the plan.
    const second = (t: number, busy: Record<string, number>) =>
      tracker.observe({
        runId: 'r',
        t,
        sent: t,
        completed: t,
        dropped: 0,
        ips: 1,
        latencyP50Ms: 1,
        latencyP95Ms: 1,
        devices: Object.entries(busy).map(([device, utilisation]) => ({
          device,
          fps: 1,
          utilisation,
          computeMs: 1,
          emulated: true,
        })),
      });
    second(1, { tx2: 0.25 });
    expect((await tx2.read()).w).toBe(7.5);
    // tx2 lost (no part in the plan now, so no longer in the metrics): it idles from then on.
    second(2, { 'pi-1': 1 });
    expect((await tx2.read()).w).toBe(5);
    expect((await (meters[0]!.meter as EmulatedMeter).read()).w).toBe(6.5);
  });
});
