// The board's side of `powerRead`: finds the board's power telemetry (TX2 INA3221 through the iio
// or hwmon driver, else a Pi 5's PMIC through vcgencmd) and reads it into a RailsReading. The
// parsers are pure, on text as the boards print it; file and process access come in through
// BoardIo so tests supply a fake sysfs tree; nodeBoardIo is the real one.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { railsReading, type Rail, type RailsReading } from './protocol/rails';

/** Text from the board's rails that is not what the driver prints (wiring, board type). */
export class RailsGarbageError extends Error {
  constructor(source: string, what: string) {
    super(`${source}: ${what}`);
    this.name = 'RailsGarbageError';
  }
}

/** Why `powerRead` fails on a board without rails: the user measures it another way. */
export const NO_RAILS =
  'this board reports no power rails (no INA3221, no Pi 5 PMIC); measure it with an external meter';

export interface BoardIo {
  readFile(path: string): Promise<string>;
  readDir(path: string): Promise<string[]>;
  /** Runs a program and resolves with its stdout. */
  run(file: string, args: string[]): Promise<string>;
  /** The agent's monotonic clock, ms. */
  now(): number;
}

/** Real files and processes; `root` prefixes every path (a test's fake /sys). */
export function nodeBoardIo(root = '/'): BoardIo {
  const run = promisify(execFile);
  return {
    readFile: (p) => readFile(join(root, p), 'utf8'),
    readDir: (p) => readdir(join(root, p)),
    run: async (file, args) => (await run(file, args, { timeout: 2000 })).stdout,
    now: () => performance.now(),
  };
}

/** TX2 (L4T R32) INA3221 folders: 0x40 has GPU/SOC/WIFI, 0x41 has VDD_IN/CPU/DDR. */
export const TX2_INA3221_DIRS = [
  '/sys/bus/i2c/drivers/ina3221x/0-0040/iio:device0',
  '/sys/bus/i2c/drivers/ina3221x/0-0041/iio:device1',
] as const;

function num(text: string | undefined, what: string): number {
  const n = Number((text ?? '').trim());
  if (text === undefined || text.trim() === '' || !Number.isFinite(n))
    throw new RailsGarbageError('board rails', `${what}: ${JSON.stringify(text)} is not a number`);
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
  return railsReading('ina3221', t, folders.flatMap(parseIna3221));
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
    throw new RailsGarbageError(
      'pmic_read_adc',
      'no rail with both a current and a voltage (not a Pi 5?)',
    );
  return railsReading('pmic', t, rails);
}

const HWMON = '/sys/class/hwmon';
const IIO_FILE = /^(rail_name_\d|in_(power|current|voltage)\d_input)$/;
const HWMON_FILE = /^(in\d_label|in\d_input|curr\d_input)$/;

export type RailsSource = { kind: 'ina3221'; folders: string[]; files: RegExp } | { kind: 'pmic' };

async function readFolder(
  io: BoardIo,
  dir: string,
  files: RegExp,
): Promise<Record<string, string>> {
  const names = (await io.readDir(dir)).filter((n) => files.test(n));
  const out: Record<string, string> = {};
  await Promise.all(names.map(async (n) => (out[n] = await io.readFile(`${dir}/${n}`))));
  return out;
}

/** Which telemetry this board has; looked up once when the agent starts. */
export async function findRailsSource(io: BoardIo): Promise<RailsSource> {
  const iio: string[] = [];
  for (const dir of TX2_INA3221_DIRS) {
    try {
      await io.readDir(dir);
      iio.push(dir);
    } catch {
      // not this board's layout
    }
  }
  if (iio.length) return { kind: 'ina3221', folders: iio, files: IIO_FILE };
  let hw: string[] = [];
  try {
    hw = await io.readDir(HWMON);
  } catch {
    // no hwmon class at all
  }
  const ina: string[] = [];
  for (const h of hw) {
    const name = await io.readFile(`${HWMON}/${h}/name`).catch(() => '');
    if (name.trim() === 'ina3221') ina.push(`${HWMON}/${h}`);
  }
  if (ina.length) return { kind: 'ina3221', folders: ina, files: HWMON_FILE };
  try {
    railsFromPmic(0, await io.run('vcgencmd', ['pmic_read_adc']));
    return { kind: 'pmic' };
  } catch {
    throw new Error(NO_RAILS);
  }
}

export async function readBoardRails(io: BoardIo, source: RailsSource): Promise<RailsReading> {
  if (source.kind === 'pmic') {
    const text = await io.run('vcgencmd', ['pmic_read_adc']);
    return railsFromPmic(io.now(), text);
  }
  const t = io.now();
  return railsFromIna3221(
    t,
    await Promise.all(source.folders.map((d) => readFolder(io, d, source.files))),
  );
}
