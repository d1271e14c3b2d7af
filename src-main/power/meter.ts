// The Meter: anything that reports watts over time (a bench analyzer, a smart plug, a board's own
// rails, another tool's log, or the emulation of a board's power). A meter covers the whole farm,
// one device or a group of devices, and samples at an interval the instrument allows.
import { InputError } from '../contract/index';
import { sleep, type Clock } from './clock';
import type { PowerSample, Reading } from './sample';

/** What a meter's watts cover. */
export type MeterScope = { kind: 'farm' } | { kind: 'devices'; devices: string[] };

export type MeterKind =
  'scpi' | 'usbtmc' | 'shelly' | 'kasa' | 'wattsup' | 'csv' | 'agent' | 'emulated';

/** The sample intervals an instrument supports. */
export interface IntervalLimits {
  minMs: number;
  maxMs: number;
  /** Instruments with a fixed set of update rates (Yokogawa `:RATE`) list them here. */
  allowedMs?: readonly number[];
  defaultMs: number;
}

export interface MeterInfo {
  /** The URI the user gave. */
  readonly uri: string;
  readonly kind: MeterKind;
  /** Short name for tables and power.csv, e.g. "wt300@10.0.0.5:10001". */
  readonly label: string;
  readonly scope: MeterScope;
  /** True when the watts come from a model, not an instrument. */
  readonly emulated: boolean;
  readonly limits: IntervalLimits;
}

export interface SampleOptions {
  /** An interval the instrument allows (see resolveInterval). */
  intervalMs: number;
  clock: Clock;
  signal: AbortSignal;
}

export interface Meter {
  readonly info: MeterInfo;
  /** Connects and configures the instrument (remote mode, items, update rate). */
  open(intervalMs: number): Promise<void>;
  /** Samples until the signal aborts or, for a log file, the log ends. */
  samples(opts: SampleOptions): AsyncIterable<PowerSample>;
  close(): Promise<void>;
}

/**
 * Picks the interval to sample at: the request when the instrument allows it, else the nearest
 * update rate it has; a request outside its range is the user's to fix.
 */
export function resolveInterval(info: MeterInfo, requestedMs?: number): number {
  const { limits } = info;
  // A log's samples are already taken; an interval asked for does not apply to them.
  if (requestedMs === undefined || limits.maxMs === 0) return limits.defaultMs;
  if (!(requestedMs >= limits.minMs && requestedMs <= limits.maxMs)) {
    throw new InputError(
      `${info.label} samples every ${limits.minMs / 1000} to ${limits.maxMs / 1000} s; ` +
        `choose an interval in that range (got ${requestedMs / 1000} s)`,
    );
  }
  if (!limits.allowedMs) return requestedMs;
  return limits.allowedMs.reduce((best, ms) =>
    Math.abs(ms - requestedMs) < Math.abs(best - requestedMs) ? ms : best,
  );
}

/**
 * A meter that answers when asked (SCPI, HTTP, Kasa, agents): it is polled on a fixed schedule,
 * and each sample is timed at the middle of its request, the best estimate of when it was taken.
 */
export abstract class PolledMeter implements Meter {
  abstract readonly info: MeterInfo;
  abstract open(intervalMs: number): Promise<void>;
  abstract close(): Promise<void>;
  /**
   * One reading; throws a MeterGarbageError for values that are not watts. A meter that stamps
   * its own readings returns `t` on the session clock.
   */
  abstract read(): Promise<Reading & { t?: number }>;

  async *samples({ intervalMs, clock, signal }: SampleOptions): AsyncIterable<PowerSample> {
    let due = clock.now();
    while (!signal.aborted) {
      const before = clock.now();
      const r = await this.read();
      const after = clock.now();
      if (signal.aborted) return;
      yield { ...r, t: r.t ?? (before + after) / 2 };
      // Schedule against the plan, not the last reply, so slow replies do not stretch the rate;
      // when a reply took longer than an interval, skip the missed slots instead of bursting.
      due += intervalMs;
      if (due < clock.now()) due = clock.now();
      await sleep(due - clock.now(), signal);
    }
  }
}
