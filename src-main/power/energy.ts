// Energy from power samples: trapezoids over the samples' own timestamps, and the paper's split
// of energy per inference at the measured rate (static from idle power, dynamic from the rest).
import type { PowerSample } from './sample';

export interface PowerStats {
  samples: number;
  /** Time-weighted mean (energy / duration); the one sample's watts when there is only one. */
  avgW: number;
  minW: number;
  maxW: number;
  energyJ: number;
  durationS: number;
}

/** A stretch with no samples for more than twice the sample interval. */
export interface Gap {
  fromS: number;
  toS: number;
}

export interface PerInferenceJ {
  static: number;
  dynamic: number;
  total: number;
}

/** Joules under the samples, by trapezoids on their timestamps (ms). */
export function integrateJ(samples: readonly PowerSample[]): number {
  let j = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as PowerSample;
    const b = samples[i] as PowerSample;
    j += ((a.w + b.w) / 2) * ((b.t - a.t) / 1000);
  }
  return j;
}

export function powerStats(samples: readonly PowerSample[]): PowerStats {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return { samples: 0, avgW: 0, minW: 0, maxW: 0, energyJ: 0, durationS: 0 };
  const energyJ = integrateJ(samples);
  const durationS = (last.t - first.t) / 1000;
  let minW = Infinity;
  let maxW = -Infinity;
  for (const s of samples) {
    minW = Math.min(minW, s.w);
    maxW = Math.max(maxW, s.w);
  }
  return {
    samples: samples.length,
    avgW: durationS > 0 ? energyJ / durationS : first.w,
    minW,
    maxW,
    energyJ,
    durationS,
  };
}

function interpolate(a: PowerSample, b: PowerSample, t: number): PowerSample {
  const f = b.t === a.t ? 0 : (t - a.t) / (b.t - a.t);
  return { t, w: a.w + (b.w - a.w) * f };
}

/**
 * The samples between two times (ms), with the edges interpolated so the window's energy is
 * exactly the part of the trace inside it: runs start and end between samples.
 */
export function window(
  samples: readonly PowerSample[],
  fromMs: number,
  toMs: number,
): PowerSample[] {
  const out: PowerSample[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as PowerSample;
    const prev = samples[i - 1];
    if (prev && prev.t < fromMs && s.t > fromMs) out.push(interpolate(prev, s, fromMs));
    if (prev && prev.t < toMs && s.t > toMs) out.push(interpolate(prev, s, toMs));
    if (s.t >= fromMs && s.t <= toMs) out.push(s);
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Gaps longer than twice the interval (the median spacing when the interval is unknown). */
export function findGaps(samples: readonly PowerSample[], intervalMs: number): Gap[] {
  const steps = samples.slice(1).map((s, i) => s.t - (samples[i] as PowerSample).t);
  const sorted = [...steps].sort((a, b) => a - b);
  const every = intervalMs > 0 ? intervalMs : (sorted[Math.floor(sorted.length / 2)] ?? 0);
  const gaps: Gap[] = [];
  steps.forEach((dt, i) => {
    if (every > 0 && dt > 2 * every)
      gaps.push({
        fromS: (samples[i] as PowerSample).t / 1000,
        toS: (samples[i + 1] as PowerSample).t / 1000,
      });
  });
  return gaps;
}

/**
 * The paper's split of energy per inference at a measured rate: static = idle W / IPS, dynamic =
 * (average W - idle W) / IPS, total = average W / IPS. No rate gives no per-inference figure.
 */
export function perInference(avgW: number, idleW: number, ips: number): PerInferenceJ | null {
  if (!(ips > 0)) return null;
  return { static: idleW / ips, dynamic: (avgW - idleW) / ips, total: avgW / ips };
}
