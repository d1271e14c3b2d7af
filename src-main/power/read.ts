// One meter read for a while, as `mchair power read` does: open, sample for S seconds (a log
// file: all of it, or its first S seconds), close, and summarise.
import { monotonicClock, type Clock } from './clock';
import { powerStats, type PowerStats } from './energy';
import { resolveInterval } from './meter';
import { meterFor, type MeterDeps } from './open';
import type { PowerSample } from './sample';
import { parseMeterUri } from './uri';

export interface MeterRead extends PowerStats {
  meter: string;
  emulated: boolean;
}

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
  // A live meter runs until the time is up; a log runs to its end or its first S seconds.
  const timer =
    limitMs !== undefined && meter.info.kind !== 'csv'
      ? setTimeout(() => abort.abort(), limitMs)
      : undefined;
  try {
    for await (const s of meter.samples({ intervalMs, clock, signal: abort.signal })) {
      if (
        meter.info.kind === 'csv' &&
        limitMs !== undefined &&
        s.t - (samples[0]?.t ?? s.t) > limitMs
      )
        break;
      samples.push(s);
    }
  } finally {
    clearTimeout(timer);
    await meter.close();
  }
  return { meter: meter.info.label, emulated: meter.info.emulated, ...powerStats(samples) };
}
