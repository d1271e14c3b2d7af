// What the board says about itself every second: CPU share and resident memory of the agent,
// and where the board has them, SoC temperature and throttling (Raspberry Pi) and the INA3221
// power rails (Jetson TX2). Files that do not exist (a laptop, the virtual farm) are simply
// absent from the answer, never guessed.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

const THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';
const INA3221_ROOT = '/sys/bus/i2c/drivers/ina3221x';

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Millidegrees from the kernel's thermal zone (Pi and Jetson both have one). */
export function parseMilliCelsius(text: string | null): number | null {
  if (text === null) return null;
  const v = Number.parseInt(text.trim(), 10);
  return Number.isFinite(v) ? v / 1000 : null;
}

/** `vcgencmd get_throttled` -> `throttled=0x50005`. */
export function parseThrottled(text: string): number | null {
  const m = /throttled=0x([0-9a-fA-F]+)/.exec(text);
  return m ? Number.parseInt(m[1] as string, 16) : null;
}

function vcgencmd(arg: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('vcgencmd', [arg], { timeout: 500 }, (err, stdout) => resolve(err ? null : stdout));
  });
}

/** TX2 rails: every `rail_name_N` with its `in_powerN_input` (mW) under each INA3221 device. */
export async function readInaRails(root = INA3221_ROOT): Promise<{ name: string; milliwatts: number }[]> {
  const rails: { name: string; milliwatts: number }[] = [];
  let chips: string[];
  try {
    chips = await readdir(root);
  } catch {
    return rails;
  }
  for (const chip of chips) {
    let devs: string[];
    try {
      devs = (await readdir(join(root, chip))).filter((d) => d.startsWith('iio:device'));
    } catch {
      continue;
    }
    for (const dev of devs) {
      for (let ch = 0; ch < 3; ch++) {
        const name = await readText(join(root, chip, dev, `rail_name_${ch}`));
        const mw = await readText(join(root, chip, dev, `in_power${ch}_input`));
        const v = mw === null ? Number.NaN : Number.parseFloat(mw);
        if (name !== null && Number.isFinite(v)) rails.push({ name: name.trim(), milliwatts: v });
      }
    }
  }
  return rails;
}

/** CPU share of this process since the previous call, as percent of all cores. */
export class CpuMeter {
  private last = process.cpuUsage();
  private lastAt = performance.now();

  sample(): number {
    const now = performance.now();
    const use = process.cpuUsage(this.last);
    const wallUs = (now - this.lastAt) * 1000;
    this.last = process.cpuUsage();
    this.lastAt = now;
    if (wallUs <= 0) return 0;
    return (100 * (use.user + use.system)) / (wallUs * cpus().length);
  }
}

export interface BoardReadings {
  temperatureC: number | null;
  throttled: number | null;
  rails: { name: string; milliwatts: number }[];
}

export async function readBoard(): Promise<BoardReadings> {
  const [temp, throttledText, rails] = await Promise.all([
    readText(THERMAL_ZONE),
    vcgencmd('get_throttled'),
    readInaRails(),
  ]);
  return {
    temperatureC: parseMilliCelsius(temp),
    throttled: throttledText === null ? null : parseThrottled(throttledText),
    rails,
  };
}
