// What the board says about itself every second: CPU share and resident memory of the agent,
// and where the board has them, SoC temperature and throttling (Raspberry Pi) and its power
// rails (TX2 INA3221, Pi 5 PMIC: read by rails.ts). What a board does not
// have (a laptop, the virtual farm) is absent from the answer, never guessed.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { findRailsSource, NO_RAILS, nodeBoardIo, readBoardRails, type RailsSource } from './rails';

const THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';

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
  rails: { name: string; w: number }[];
}

/** The board's sensors, found once: a board without rails or vcgencmd stops being asked. */
export class Board {
  private readonly io = nodeBoardIo();
  private rails: Promise<RailsSource | null> | null = null;
  private hasVcgencmd = true;

  /** The rails source, or an error saying the board has none (for `powerRead`). */
  railsSource(): Promise<RailsSource | null> {
    this.rails ??= findRailsSource(this.io).catch(() => null);
    return this.rails;
  }

  async powerReading(): Promise<string> {
    const source = await this.railsSource();
    if (!source) throw new Error(NO_RAILS);
    return JSON.stringify(await readBoardRails(this.io, source));
  }

  async read(): Promise<BoardReadings> {
    const source = await this.railsSource();
    const [temp, throttledText, rails] = await Promise.all([
      readText(THERMAL_ZONE),
      this.hasVcgencmd ? vcgencmd('get_throttled') : Promise.resolve(null),
      source
        ? readBoardRails(this.io, source).then(
            (r) => r.rails,
            () => [],
          )
        : Promise.resolve([]),
    ]);
    if (throttledText === null) this.hasVcgencmd = false;
    return {
      temperatureC: parseMilliCelsius(temp),
      throttled: throttledText === null ? null : parseThrottled(throttledText),
      rails: rails.map((r) => ({ name: r.name, w: r.w })),
    };
  }
}
