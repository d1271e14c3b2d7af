// The Watts Up? PRO driver against a simulated meter on a real pty.
import { afterEach, describe, expect, it } from 'vitest';
import { monotonicClock } from '../../../src-main/power/clock';
import type { PowerSample } from '../../../src-main/power/sample';
import { parseMeterUri } from '../../../src-main/power/uri';
import { WattsUpMeter } from '../../../src-main/power/wattsup';
import { startWattsUpSim, type WattsUpSim } from '../../sim/wattsup-sim';

let sim: WattsUpSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function collect(
  script: Array<number | string>,
  max: number,
): Promise<{ samples: PowerSample[]; error?: string }> {
  sim = await startWattsUpSim(script, 20);
  const spec = parseMeterUri(`wattsup://${sim.path}`);
  if (spec.kind !== 'wattsup') throw new Error('wrong kind');
  const meter = new WattsUpMeter(spec);
  await meter.open(2000);
  const samples: PowerSample[] = [];
  const ac = new AbortController();
  try {
    for await (const s of meter.samples({
      intervalMs: 2000,
      clock: monotonicClock(),
      signal: ac.signal,
    })) {
      samples.push(s);
      if (samples.length >= max) ac.abort();
    }
    return { samples };
  } catch (e) {
    return { samples, error: (e as Error).message };
  } finally {
    await meter.close();
  }
}

describe('Watts Up? PRO', () => {
  it('starts external logging at the interval and reads watts, volts and amps', async () => {
    const { samples, error } = await collect([10, 20.5, 31.2], 3);
    expect(error).toBeUndefined();
    expect(sim?.commands).toEqual(['#L,W,3,E,,2;']);
    expect(samples.map((s) => s.w)).toEqual([10, 20.5, 31.2]);
    expect(samples[0]?.v).toBeCloseTo(230.1, 5);
    expect(samples[1]?.a).toBeCloseTo(0.089, 3);
    expect(samples[2]!.t).toBeGreaterThan(samples[0]!.t);
  });

  it('refuses a truncated record in one line', async () => {
    const { samples, error } = await collect([12, '#d,-,18,12'], 5);
    expect(samples.map((s) => s.w)).toEqual([12]);
    expect(error).toMatch(/^wattsup@\/dev\/pts\/\d+: data line has 4 fields.*truncated/);
  });

  it('refuses a non-numeric field', async () => {
    const { error } = await collect(['#d,-,18,1x2,2301,50;'], 5);
    expect(error).toMatch(/watts field is not an integer: "1x2"/);
  });
});
