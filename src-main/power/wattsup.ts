// Watts Up? PRO over its USB serial port (115200 baud): `#L,W,3,E,,<seconds>;` starts external
// logging and the meter then pushes `#d,-,18,<W*10>,<V*10>,<A*1000>,...;` once per interval.
import { execFile } from 'node:child_process';
import { closeSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { createInterface } from 'node:readline';
import { ReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { AppError } from '../contract/index';
import type { Meter, MeterInfo, SampleOptions } from './meter';
import { MeterGarbageError, reading, type PowerSample, type Reading } from './sample';
import type { MeterSpec } from './uri';

const run = promisify(execFile);

/** Parses one `#d` data line; other record types (headers, acks) yield nothing. */
export function parseWattsUpLine(label: string, line: string): Reading | undefined {
  const text = line.trim().replace(/;$/, '');
  if (!text.startsWith('#d')) return undefined;
  const f = text.split(',');
  // #d, -, <field count>, W*10, V*10, A*1000, ...
  if (f.length < 6)
    throw new MeterGarbageError(
      label,
      `data line has ${f.length} fields, expected 6 or more (truncated?): ${JSON.stringify(text.slice(0, 60))}`,
    );
  const scaled = (i: number, div: number, name: string): number => {
    const raw = f[i] ?? '';
    if (!/^-?\d+$/.test(raw.trim()))
      throw new MeterGarbageError(label, `${name} field is not an integer: ${JSON.stringify(raw)}`);
    return Number(raw) / div;
  };
  return reading(label, {
    w: scaled(3, 10, 'watts'),
    v: scaled(4, 10, 'volts'),
    a: scaled(5, 1000, 'amps'),
  });
}

export class WattsUpMeter implements Meter {
  readonly info: MeterInfo;
  private port: ReadStream | undefined;

  constructor(private readonly spec: Extract<MeterSpec, { kind: 'wattsup' }>) {
    this.info = {
      uri: spec.uri,
      kind: 'wattsup',
      label: `wattsup@${spec.path}`,
      scope: spec.scope,
      emulated: false,
      // Whole seconds only.
      limits: {
        minMs: 1000,
        maxMs: 60_000,
        allowedMs: Array.from({ length: 60 }, (_, i) => (i + 1) * 1000),
        defaultMs: 1000,
      },
    };
  }

  async open(intervalMs: number): Promise<void> {
    const { path } = this.spec;
    try {
      // Serial speed is a line setting, not something the open() call can ask for.
      await run('stty', ['-F', path, '115200', 'raw', '-echo', 'cs8', '-cstopb', '-parenb']);
    } catch (e) {
      throw new AppError(
        'METER_UNREACHABLE',
        `${this.info.label}: cannot set up ${path} (${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}); is it the Watts Up's serial port and may you open it?`,
      );
    }
    let fd: number;
    try {
      fd = openSync(path, fsc.O_RDWR | fsc.O_NOCTTY);
    } catch (e) {
      throw new AppError(
        'METER_UNREACHABLE',
        `${this.info.label}: cannot open ${path}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
    try {
      writeSync(fd, `#L,W,3,E,,${Math.round(intervalMs / 1000)};`);
      // A TTY stream is non-blocking and closable mid-read, unlike a file read on the thread pool.
      this.port = new ReadStream(fd);
    } catch (e) {
      closeSync(fd);
      throw new AppError(
        'METER_UNREACHABLE',
        `${this.info.label}: ${path} is not a serial port (${(e as Error).message})`,
      );
    }
    this.port.on('error', () => undefined);
  }

  async *samples({ clock, signal }: SampleOptions): AsyncIterable<PowerSample> {
    const port = this.port;
    if (!port) throw new Error('WattsUpMeter.samples before open');
    const lines = createInterface({ input: port, crlfDelay: Infinity });
    const stop = (): void => lines.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const line of lines) {
        if (signal.aborted) return;
        const r = parseWattsUpLine(this.info.label, line);
        if (r) yield { t: clock.now(), ...r };
      }
    } finally {
      signal.removeEventListener('abort', stop);
      lines.close();
    }
  }

  async close(): Promise<void> {
    this.port?.destroy();
    this.port = undefined;
  }
}
