// A board's own power rails, as its agent reads them: pure parsers for Jetson TX2 INA3221 sysfs
// files (iio and hwmon drivers), `tegrastats` lines and Raspberry Pi 5 `vcgencmd pmic_read_adc`,
// plus RailsReading, the answer an agent gives to `powerRead`. No I/O here, so the agent (which
// runs on the board) and the coordinator (which validates the answer) share one definition.
import { z } from 'zod';
// Garbage from a board's rails is the user's to fix (wiring, board type), not an internal error.
import { MeterGarbageError } from './sample';

export const Rail = z.object({
  name: z.string().min(1).max(64),
  w: z.number().finite().min(0),
  v: z.number().finite().optional(),
  a: z.number().finite().optional(),
});
export type Rail = z.infer<typeof Rail>;

/** The agent's answer to `powerRead`. */
export const RailsReading = z.object({
  /** The agent's monotonic clock, ms, when the rails were read. */
  t: z.number().finite(),
  source: z.enum(['ina3221', 'tegrastats', 'pmic']),
  /** Whole-board watts: the input rail where the board has one, else the sum of the rails. */
  totalW: z.number().finite().min(0),
  rails: z.array(Rail).min(1),
});
export type RailsReading = z.infer<typeof RailsReading>;

/** Rails that measure the board's whole input (TX2 VDD_IN; Nano/Xavier POM_5V_IN, VIN_SYS_5V0). */
const INPUT_RAILS = ['VDD_IN', 'POM_5V_IN', 'VIN_SYS_5V0'];

/** TX2 (L4T R32) INA3221 folders: 0x40 has GPU/SOC/WIFI, 0x41 has VDD_IN/CPU/DDR. */
export const TX2_INA3221_DIRS = [
  '/sys/bus/i2c/drivers/ina3221x/0-0040/iio:device0',
  '/sys/bus/i2c/drivers/ina3221x/0-0041/iio:device1',
] as const;

function reading(source: RailsReading['source'], t: number, rails: Rail[]): RailsReading {
  const input = rails.find((r) => INPUT_RAILS.includes(r.name));
  const totalW = input ? input.w : rails.reduce((s, r) => s + r.w, 0);
  return RailsReading.parse({ t, source, totalW, rails });
}

function num(text: string | undefined, what: string): number {
  const n = Number((text ?? '').trim());
  if (text === undefined || text.trim() === '' || !Number.isFinite(n))
    throw new MeterGarbageError('board rails', `${what}: ${JSON.stringify(text)} is not a number`);
  return n;
}

/**
 * Rails from one INA3221 folder, given its files' contents by name. The iio driver (L4T R32) has
 * rail_name_N, in_powerN_input (mW), in_currentN_input (mA), in_voltageN_input (mV); the hwmon
 * driver (newer L4T) has inN_label, inN_input (mV), currN_input (mA), numbered from 1.
 */
export function parseIna3221(files: Readonly<Record<string, string>>): Rail[] {
  const rails: Rail[] = [];
  for (const [file, content] of Object.entries(files)) {
    const iio = /^rail_name_(\d)$/.exec(file);
    const hwmon = /^in(\d)_label$/.exec(file);
    const name = content.trim();
    if (iio) {
      const n = iio[1];
      const rail: Rail = {
        name,
        w: num(files[`in_power${n}_input`], `${name} in_power${n}_input`) / 1000,
      };
      if (files[`in_voltage${n}_input`] !== undefined)
        rail.v = num(files[`in_voltage${n}_input`], name) / 1000;
      if (files[`in_current${n}_input`] !== undefined)
        rail.a = num(files[`in_current${n}_input`], name) / 1000;
      rails.push(rail);
    } else if (hwmon) {
      const n = hwmon[1];
      const v = num(files[`in${n}_input`], `${name} in${n}_input`) / 1000;
      const a = num(files[`curr${n}_input`], `${name} curr${n}_input`) / 1000;
      rails.push({ name, w: v * a, v, a });
    }
  }
  return rails;
}

export function railsFromIna3221(
  t: number,
  folders: ReadonlyArray<Readonly<Record<string, string>>>,
): RailsReading {
  return reading('ina3221', t, folders.flatMap(parseIna3221));
}

/**
 * One `tegrastats` line: rails print as `NAME current/average` in mW, with or without the unit
 * (`VDD_IN 3056/3056`, `VDD_IN 2841mW/2841mW`). RAM, SWAP and clocks are passed over.
 */
export function railsFromTegrastats(t: number, line: string): RailsReading {
  const rails: Rail[] = [];
  for (const m of line.matchAll(/\b((?:VDD|POM|VIN)_[A-Z0-9_]+) (\d+)(?:mW)?\/(\d+)(?:mW)?/g)) {
    rails.push({ name: m[1] as string, w: Number(m[2]) / 1000 });
  }
  if (rails.length === 0)
    throw new MeterGarbageError(
      'tegrastats',
      `the line has no power rails: ${JSON.stringify(line.slice(0, 80))}`,
    );
  return reading('tegrastats', t, rails);
}

/**
 * `vcgencmd pmic_read_adc` on a Pi 5: `VDD_CORE_A current(7)=0.81262990A` and
 * `VDD_CORE_V volt(15)=0.72000000V`; a rail's watts are its _V times its _A. Rails with only a
 * voltage (EXT5V_V) carry no power. The sum misses the PMIC's conversion losses, so it reads
 * below a wall meter.
 */
export function railsFromPmic(t: number, text: string): RailsReading {
  const volts = new Map<string, number>();
  const amps = new Map<string, number>();
  for (const m of text.matchAll(
    /^\s*(\S+)_([AV])\s+(?:current|volt)\(\d+\)=([-+0-9.eE]+)[AV]\s*$/gm,
  )) {
    (m[2] === 'A' ? amps : volts).set(m[1] as string, num(m[3], `${m[1]}_${m[2]}`));
  }
  const rails: Rail[] = [];
  for (const [name, a] of amps) {
    const v = volts.get(name);
    if (v !== undefined) rails.push({ name, w: Math.max(0, v * a), v, a });
  }
  if (rails.length === 0)
    throw new MeterGarbageError(
      'pmic_read_adc',
      'no rail with both a current and a voltage (not a Pi 5?)',
    );
  return reading('pmic', t, rails);
}
