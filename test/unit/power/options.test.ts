// The run's power flags, parsed by commander as `mchair run` will.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EmulatedMeter } from '../../../src-main/power/emulated';
import { PowerFlags, powerSessionFrom, withPowerOptions } from '../../../src-main/power/options';

function flags(...argv: string[]): PowerFlags {
  const cmd = withPowerOptions(new Command('run').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return PowerFlags.parse(cmd.opts());
}

describe('power flags', () => {
  it('collects meters and builds a session with the interval for each', () => {
    const f = flags(
      '--meter',
      'kasa://10.0.0.8?device=pi-1',
      '--meter',
      'scpi+wt300://10.0.0.5:10001',
      '--meter-interval',
      '1',
      '--idle-seconds',
      '3',
    );
    const s = powerSessionFrom(f, { runDir: '/tmp/r' })!;
    expect(s.meters.map((m) => [m.meter.info.label, m.intervalMs])).toEqual([
      ['kasa@10.0.0.8:9999', 1000],
      ['wt300@10.0.0.5:10001', 1000],
    ]);
    expect(s).toMatchObject({ idleSeconds: 3, runDir: '/tmp/r' });
  });

  it('takes given idle watts as no idle measurement', () => {
    expect(
      powerSessionFrom(flags('--meter', 'shelly://p', '--idle-watts', '6.5'), { runDir: '/r' }),
    ).toMatchObject({ idleSeconds: 0, idleWatts: 6.5 });
  });

  it('falls back to emulated meters, and meters nothing without either', () => {
    const emulated = [{ meter: new EmulatedMeter([{ device: 'a', idleW: 1, fullW: 2 }], () => 0) }];
    expect(powerSessionFrom(flags(), { runDir: '/r', emulated })!.meters).toBe(emulated);
    expect(powerSessionFrom(flags(), { runDir: '/r' })).toBeNull();
  });

  it('refuses contradictions and typos before the run starts', () => {
    expect(() =>
      powerSessionFrom(flags('--meter', 'kasa://h', '--idle-seconds', '5', '--idle-watts', '3'), {
        runDir: '/r',
      }),
    ).toThrow('give either measured idle');
    expect(() => powerSessionFrom(flags('--idle-seconds', '5'), { runDir: '/r' })).toThrow(
      '--meter: idle and interval flags need at least one --meter',
    );
    expect(() => powerSessionFrom(flags('--meter', 'kasa:/h'), { runDir: '/r' })).toThrow(
      /meter "kasa:\/h": names no host/,
    );
    expect(() => flags('--idle-seconds', 'soon')).toThrow(/must be a number of seconds/);
  });
});
