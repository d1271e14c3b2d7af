// power.csv, the samples of a run's meters in one file: `t_ms,meter,w,v,a`, t on the session
// clock, one row per sample, appended as the run goes so a crash loses at most a second.
import { appendFile } from 'node:fs/promises';
import type { PowerSample } from './sample';

export const POWER_CSV_HEADER = 't_ms,meter,w,v,a';

function field(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function powerCsvRow(meter: string, s: PowerSample): string {
  const opt = (x: number | undefined): string => (x === undefined ? '' : String(x));
  return `${s.t.toFixed(3)},${field(meter)},${s.w},${opt(s.v)},${opt(s.a)}`;
}

/** Splits one CSV line, honouring quotes. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted && c === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Reads power.csv back, samples grouped by meter; a torn last line (a crash) is passed over. */
export function parsePowerCsv(text: string): Map<string, PowerSample[]> {
  const byMeter = new Map<string, PowerSample[]>();
  for (const line of text.split('\n').slice(1)) {
    const [t, meter, w, v, a] = cells(line);
    if (
      meter === undefined ||
      w === undefined ||
      !Number.isFinite(Number(t)) ||
      !Number.isFinite(Number(w)) ||
      w === ''
    )
      continue;
    const s: PowerSample = { t: Number(t), w: Number(w) };
    if (v) s.v = Number(v);
    if (a) s.a = Number(a);
    const list = byMeter.get(meter) ?? [];
    list.push(s);
    byMeter.set(meter, list);
  }
  return byMeter;
}

/** Appends rows to power.csv once a second. */
export class PowerCsvWriter {
  private pending: string[] = [];
  private chain: Promise<void>;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly path: string) {
    this.chain = appendFile(path, `${POWER_CSV_HEADER}\n`);
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  add(meter: string, s: PowerSample): void {
    this.pending.push(powerCsvRow(meter, s));
  }

  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.pending.length === 0) return;
      const rows = this.pending;
      this.pending = [];
      await appendFile(this.path, `${rows.join('\n')}\n`);
    });
    return this.chain;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
