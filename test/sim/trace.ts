// The watts a simulated instrument reports: a function of its own time in seconds (on the same
// performance.now clock the drivers use, so a test knows the exact energy it should measure),
// and, for feeding drivers garbage, raw replies to send instead of the nth reading.
export interface Trace {
  /** Watts at t seconds after the simulator started. */
  watts(tS: number): number;
  /** A raw reply to send instead of reading n (0-based), or undefined for a normal reading. */
  garble?(n: number): string | undefined;
}

export class TraceClock {
  readonly startMs = performance.now();
  reads = 0;
  constructor(public trace: Trace) {}

  /** The next reading: watts now, or the scripted garbage. */
  next(): { w: number; raw?: string } {
    const n = this.reads++;
    const raw = this.trace.garble?.(n);
    const w = this.trace.watts((performance.now() - this.startMs) / 1000);
    return raw === undefined ? { w } : { w, raw };
  }
}

export const constant = (w: number): Trace => ({ watts: () => w });
