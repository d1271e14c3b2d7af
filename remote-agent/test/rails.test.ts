// The board-rail parsers the agent runs, on text as the boards print it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RailsReading } from '../src/protocol/index';
import { parseIna3221, railsFromIna3221, railsFromPmic } from '../src/rails';

const fixture = (name: string): string =>
  readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe('Jetson TX2 INA3221', () => {
  // As read from .../0-0040/iio:device0 and .../0-0041/iio:device1 on L4T R32.5.1.
  const dev0 = {
    rail_name_0: 'VDD_SYS_GPU\n',
    in_power0_input: '152\n',
    in_current0_input: '8\n',
    in_voltage0_input: '19104\n',
    rail_name_1: 'VDD_SYS_SOC\n',
    in_power1_input: '687\n',
    in_current1_input: '36\n',
    in_voltage1_input: '19104\n',
    rail_name_2: 'VDD_4V0_WIFI\n',
    in_power2_input: '0\n',
    in_current2_input: '0\n',
    in_voltage2_input: '4968\n',
  };
  const dev1 = {
    rail_name_0: 'VDD_IN\n',
    in_power0_input: '3056\n',
    in_current0_input: '160\n',
    in_voltage0_input: '19104\n',
    rail_name_1: 'VDD_SYS_CPU\n',
    in_power1_input: '152\n',
    in_current1_input: '8\n',
    in_voltage1_input: '19104\n',
    rail_name_2: 'VDD_SYS_DDR\n',
    in_power2_input: '534\n',
    in_current2_input: '112\n',
    in_voltage2_input: '4768\n',
  };

  it('reads every rail in watts and takes VDD_IN as the whole module', () => {
    const r = railsFromIna3221(1234.5, [dev0, dev1]);
    expect(r.source).toBe('ina3221');
    expect(r.t).toBe(1234.5);
    expect(r.totalW).toBe(3.056);
    expect(r.rails.map((x) => x.name)).toEqual([
      'VDD_SYS_GPU',
      'VDD_SYS_SOC',
      'VDD_4V0_WIFI',
      'VDD_IN',
      'VDD_SYS_CPU',
      'VDD_SYS_DDR',
    ]);
    expect(r.rails.find((x) => x.name === 'VDD_SYS_DDR')).toEqual({
      name: 'VDD_SYS_DDR',
      w: 0.534,
      v: 4.768,
      a: 0.112,
    });
  });

  it('reads the hwmon driver of newer L4T (volts times amps)', () => {
    const rails = parseIna3221({
      in1_label: 'VDD_IN\n',
      in1_input: '19000\n',
      curr1_input: '250\n',
      in2_label: 'VDD_CPU_GPU_CV\n',
      in2_input: '19000\n',
      curr2_input: '20\n',
    });
    expect(rails[0]).toEqual({ name: 'VDD_IN', w: 4.75, v: 19, a: 0.25 });
    expect(rails[1]!.w).toBeCloseTo(0.38, 12);
  });

  it('refuses a rail whose power file holds no number', () => {
    expect(() => parseIna3221({ rail_name_0: 'VDD_IN', in_power0_input: '' })).toThrow(
      'VDD_IN in_power0_input: "" is not a number',
    );
  });
});

describe('Pi 5 pmic_read_adc', () => {
  it("multiplies each rail's volts by its amps and sums them", () => {
    const r = railsFromPmic(7, fixture('pmic_read_adc.txt'));
    expect(r.source).toBe('pmic');
    const core = r.rails.find((x) => x.name === 'VDD_CORE')!;
    expect(core.w).toBeCloseTo(0.72 * 0.8126299, 9);
    // EXT5V and BATT have a voltage only.
    expect(r.rails.map((x) => x.name)).not.toContain('EXT5V');
    expect(r.rails).toHaveLength(12);
    const sum = r.rails.reduce((s, x) => s + (x.v ?? 0) * (x.a ?? 0), 0);
    expect(r.totalW).toBeCloseTo(sum, 12);
    expect(r.totalW).toBeGreaterThan(1.5);
    expect(r.totalW).toBeLessThan(2.5);
  });

  it('refuses output from a board without a PMIC', () => {
    expect(() => railsFromPmic(0, 'error=1 error_msg="Command not registered"')).toThrow(
      /not a Pi 5/,
    );
  });

  it('produces what the coordinator validates', () => {
    expect(RailsReading.safeParse(railsFromPmic(0, fixture('pmic_read_adc.txt'))).success).toBe(
      true,
    );
    expect(
      RailsReading.safeParse({ t: 0, source: 'pmic', totalW: Number.NaN, rails: [] }).success,
    ).toBe(false);
  });
});
