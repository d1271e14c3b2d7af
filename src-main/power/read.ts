// One meter read for a while, as `mchair power read` does: open, sample until the samples cover S
// seconds (first to last within half an interval of S; a log file: all of it, or its first S
// seconds), close, and summarise. A wall-clock timer from the open would cover less: the first
// sample comes an instrument's latency after it (3 s asked gave 2.0-2.5 s of samples).
import { monotonicClock, type Clock } from './clock';
import { powerStats, type PowerStats } from './energy';
import { resolveInterval } from './meter';
import { meterFor, type MeterDeps } from './open';
import type { PowerSample } from './sample';
import { parseMeterUri } from './uri';

export interface MeterRead extends PowerStats {
  meter: string;
  emulated: boolean;
  /** The interval the meter was read at. */
  intervalMs: number;
}

/** A live meter that stops answering is given up this long past the time asked for. */
const STALL_GRACE_MS = 10_000;

export async function readMeter(
  uri: string,
  opts: {
    seconds?: number;
    intervalMs?: number;
    signal?: AbortSignal;
    /** The clock agent:// links measured their offset on; a new one when absent. */
    clock?: Clock;
  } & MeterDeps = {},
): Promise<MeterRead> {
  const spec = parseMeterUri(uri);
  const meter = meterFor(spec, opts);
  const intervalMs = resolveInterval(meter.info, spec.intervalMs ?? opts.intervalMs);
  const clock = opts.clock ?? monotonicClock();
  const abort = new AbortController();
  // Stopping early (Ctrl-C) still closes the meter and summarises what was read.
  opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const samples: PowerSample[] = [];
  const limitMs = opts.seconds === undefined ? undefined : opts.seconds * 1000;
  await meter.open(intervalMs);
  // A live meter that stalls must not hold the command for ever.
  const timer =
    limitMs !== undefined && meter.info.kind !== 'csv'
      ? setTimeout(() => abort.abort(), limitMs + Math.max(STALL_GRACE_MS, 3 * intervalMs))
      : undefined;
  try {
    for await (const s of meter.samples({ intervalMs, clock, signal: abort.signal })) {
      const span = s.t - (samples[0]?.t ?? s.t);
      // A log's sample past the span is left out; a live meter stops once the span is covered.
      if (meter.info.kind === 'csv' && limitMs !== undefined && span > limitMs) break;
      samples.push(s);
      if (limitMs !== undefined && span >= limitMs - intervalMs / 2) break;
    }
  } finally {
    clearTimeout(timer);
    await meter.close();
  }
  return {
    meter: meter.info.label,
    emulated: meter.info.emulated,
    intervalMs,
    ...powerStats(samples),
  };
}
