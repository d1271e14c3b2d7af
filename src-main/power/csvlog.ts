// Other tools' power logs as a meter (Monsoon and Joulescope exports, a lab's own logger): a CSV
// with a header naming a time column and either watts or volts and amps. Units in the header,
// such as "Main(mA)" or "power (mW)", are honoured. Times that are wall-clock (ISO dates or Unix
// seconds) are placed on the session clock so the log lines up with a run recorded alongside it;
// relative times start where the session starts.
import { readFile } from 'node:fs/promises';
import { AppError } from '../contract/index';
import type { Meter, MeterInfo, SampleOptions } from './meter';
import { MeterGarbageError, meterNumber, reading, type PowerSample } from './sample';
import type { MeterSpec } from './uri';

interface Column {
  index: number;
  /** Multiply by this to get seconds, watts, volts or amps. */
  scale: number;
}

export interface PowerLog {
  /** Row times in ms; `absolute` when they are epoch ms. */
  absolute: boolean;
  rows: PowerSample[];
}

const UNIT_SCALE: Record<string, number> = { m: 1e-3, u: 1e-6, µ: 1e-6, k: 1e3, '': 1 };

function findColumn(
  header: string[],
  names: RegExp,
  unit: string,
  timeColumn = false,
): Column | undefined {
  const index = header.findIndex((h) => names.test(h));
  if (index < 0) return undefined;
  const h = header[index] as string;
  // "Main(mA)", "power [mW]", "time_ms": a unit in brackets or after an underscore.
  const m = new RegExp(`(?:[(\\[]|_)\\s*([mukµ]?)${unit}\\s*[)\\]]?$`, 'i').exec(h);
  if (timeColumn) {
    if (/(?:[([]|_)\s*ms\s*[)\]]?$|^ms$/i.test(h)) return { index, scale: 1e-3 };
    return { index, scale: 1 };
  }
  return { index, scale: m ? (UNIT_SCALE[(m[1] ?? '').toLowerCase()] ?? 1) : 1 };
}

/** Parses a power log; every malformed row is reported with its line number. */
export function parsePowerLog(label: string, text: string): PowerLog {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const headerLine = lines[0];
  if (headerLine === undefined) throw new MeterGarbageError(label, 'the log is empty');
  const sep = headerLine.includes('\t') ? '\t' : headerLine.includes(';') ? ';' : ',';
  const header = headerLine.split(sep).map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const time = findColumn(header, /^(t|time|timestamp|seconds|ms)\b|^time[\s_([]/, 's', true);
  const watts = findColumn(header, /^(w|p|watts?|power)\b|^(power|watts?)[\s_([]|\(m?w\)$/, 'w');
  const volts = findColumn(
    header,
    /^(v|u|volts?|voltage)\b|^(voltage|volts?)[\s_([]|voltage|\(m?v\)$/,
    'v',
  );
  const amps = findColumn(header, /^(a|i|amps?|current)\b|^(current|amps?)[\s_([]|\(m?a\)$/, 'a');
  if (!time || !(watts || (volts && amps))) {
    throw new AppError(
      'BAD_INPUT',
      `${label}: the header "${headerLine.slice(0, 80)}" needs a time column and watts, or volts and amps`,
    );
  }
  let absolute = false;
  const rows: PowerSample[] = [];
  lines.slice(1).forEach((line, i) => {
    const where = `${label} line ${i + 2}`;
    const cells = line.split(sep).map((c) => c.trim().replace(/^"|"$/g, ''));
    const rawTime = cells[time.index] ?? '';
    let t: number;
    if (/^\d{4}-\d\d-\d\d/.test(rawTime)) {
      t = Date.parse(rawTime);
      if (Number.isNaN(t))
        throw new MeterGarbageError(where, `time ${JSON.stringify(rawTime)} is not a date`);
      absolute = true;
    } else {
      t = meterNumber(where, 'time', rawTime) * time.scale * 1000;
      // Seconds since 1970 (a year 2001 or later stamp) are wall-clock, not seconds since start.
      if (t > 1e12) absolute = true;
    }
    const cell = (c: Column | undefined): number | undefined =>
      c ? meterNumber(where, header[c.index] ?? '?', cells[c.index]) * c.scale : undefined;
    const r = watts
      ? reading(where, { w: cell(watts), v: cell(volts), a: cell(amps) })
      : reading(where, { v: cell(volts), a: cell(amps) });
    const prev = rows[rows.length - 1];
    if (prev && t < prev.t) throw new MeterGarbageError(where, 'time goes backwards');
    rows.push({ t, ...r });
  });
  if (rows.length === 0) throw new MeterGarbageError(label, 'the log has a header but no samples');
  return { absolute, rows };
}

export class CsvLogMeter implements Meter {
  readonly info: MeterInfo;
  private log: PowerLog | undefined;

  constructor(private readonly spec: Extract<MeterSpec, { kind: 'csv' }>) {
    this.info = {
      uri: spec.uri,
      kind: 'csv',
      label: `csv@${spec.path}`,
      scope: spec.scope,
      emulated: false,
      // A log was sampled by whatever wrote it: its interval is its own (0 = the rows' spacing).
      limits: { minMs: 0, maxMs: 0, defaultMs: 0 },
    };
  }

  async open(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.spec.path, 'utf8');
    } catch (e) {
      throw new AppError(
        'METER_UNREACHABLE',
        `${this.info.label}: cannot read ${this.spec.path}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
    this.log = parsePowerLog(this.info.label, text);
  }

  async *samples({ clock, signal }: SampleOptions): AsyncIterable<PowerSample> {
    const log = this.log;
    if (!log) throw new Error('CsvLogMeter.samples before open');
    const first = log.rows[0]?.t ?? 0;
    for (const row of log.rows) {
      if (signal.aborted) return;
      yield { ...row, t: log.absolute ? row.t - clock.originEpochMs : row.t - first };
    }
  }

  async close(): Promise<void> {
    this.log = undefined;
  }
}
