// The agent's side of `powerRead`: finds the board's power telemetry (TX2 INA3221 through the
// iio or hwmon driver, else a Pi 5's PMIC through vcgencmd) and reads it into a RailsReading.
// File and process access come in through BoardIo so the agent supplies its own (and tests a
// fake sysfs tree); nodeBoardIo is the real one.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../contract/errors';
import { railsFromIna3221, railsFromPmic, TX2_INA3221_DIRS, type RailsReading } from './rails';

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
    throw new AppError(
      'NO_RAILS',
      'this board reports no power rails (no INA3221, no Pi 5 PMIC); measure it with an external meter',
    );
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
