// The tegrastats parser the app runs on a Jetson's lines read over SSH.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { railsFromTegrastats } from '../../../src-main/power/rails';

const fixture = (name: string): string =>
  readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe('tegrastats', () => {
  it('reads L4T R32 lines (mW without a unit) and passes over RAM, SWAP and clocks', () => {
    const r = railsFromTegrastats(0, fixture('tegrastats-r32.txt'));
    expect(r.rails.map((x) => [x.name, x.w])).toEqual([
      ['VDD_SYS_GPU', 0.152],
      ['VDD_SYS_SOC', 0.687],
      ['VDD_4V0_WIFI', 0],
      ['VDD_IN', 3.056],
      ['VDD_SYS_CPU', 0.152],
      ['VDD_SYS_DDR', 0.534],
    ]);
    expect(r.totalW).toBe(3.056);
  });

  it('reads newer lines with mW units', () => {
    const r = railsFromTegrastats(0, fixture('tegrastats-r35.txt'));
    expect(r.totalW).toBe(4.841);
    expect(r.rails).toHaveLength(3);
  });

  it('refuses a line without rails', () => {
    expect(() => railsFromTegrastats(0, 'RAM 2245/7854MB SWAP 0/3927MB')).toThrow(/no power rails/);
  });
});
