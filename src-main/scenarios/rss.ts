// Resident memory over a long run, per process (the coordinator and each agent): samples taken
// every few seconds, and the growth from the end of warm-up to the end of the run. The soak
// (scenarios/soak.ts) judges memory leaks with it.

export interface RssGrowth {
  /** Process: "coordinator" or an agent id. */
  id: string;
  /** Resident bytes at the end of warm-up and at the end, on the robust trend line (below). */
  warm: number;
  end: number;
  growthPct: number;
  samples: number;
}

/** (end - warm) / warm in percent. */
export function growthPercent(warm: number, end: number): number {
  return (100 * (end - warm)) / warm;
}

const peak = (xs: number[]) => (xs.length ? Math.max(...xs) : Number.NaN);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Pairwise slopes grow with the square of the samples: a day-long soak is thinned to this. */
const MAX_TREND_SAMPLES = 1000;

/**
 * The Theil-Sen line through (atMs, bytes): slope = median of all pairwise slopes, intercept =
 * median of the residuals. Up to ~29% of the samples can be anything (a collection's spike, a
 * page-return dip) without moving it, unlike a least-squares fit or two single samples.
 */
function trendLine(xs: Array<{ atMs: number; bytes: number }>): { at(ms: number): number } {
  const step = Math.ceil(xs.length / MAX_TREND_SAMPLES);
  const s = xs.filter((_, i) => i % step === 0);
  const slopes: number[] = [];
  for (let i = 0; i < s.length; i++)
    for (let j = i + 1; j < s.length; j++) {
      const a = s[i] as (typeof s)[number];
      const b = s[j] as (typeof s)[number];
      if (b.atMs !== a.atMs) slopes.push((b.bytes - a.bytes) / (b.atMs - a.atMs));
    }
  const slope = slopes.length ? median(slopes) : Number.NaN;
  const intercept = median(s.map((x) => x.bytes - slope * x.atMs));
  return { at: (ms) => intercept + slope * ms };
}

export class RssWatch {
  private readonly series = new Map<string, Array<{ atMs: number; bytes: number }>>();

  record(id: string, atMs: number, bytes: number): void {
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = []));
    s.push({ atMs, bytes });
  }

  private inWindow(id: string, from: number, to: number): number[] {
    return (this.series.get(id) ?? [])
      .filter((x) => x.atMs >= from && x.atMs <= to)
      .map((x) => x.bytes);
  }

  /**
   * Growth of every process from warm-up (warmMs) to the end (endMs), read off a robust trend
   * line through its samples in between, not from two single samples: RSS saw-tooths and spikes
   * by 10-20% as V8 grows its heap and gives pages back after a full collection (seen on agents
   * in the 30-minute soak), so a point sample's verdict depends on where in that cycle it fell.
   * A leak moves the line; the saw-tooth and the spikes do not. A process with fewer than two
   * samples there has NaN growth (a failure: an agent that stopped reporting).
   */
  growth(warmMs: number, endMs: number): RssGrowth[] {
    return [...this.series].map(([id, s]) => {
      const span = s.filter((x) => x.atMs >= warmMs && x.atMs <= endMs);
      const line = span.length >= 2 ? trendLine(span) : { at: () => Number.NaN };
      const warm = line.at(warmMs);
      const end = line.at(endMs);
      return { id, warm, end, growthPct: growthPercent(warm, end), samples: s.length };
    });
  }

  /** Each process's peak in each of `n` equal slices of [0, endMs] (NaN where none). */
  trace(endMs: number, n: number): Map<string, number[]> {
    const slice = (i: number) => [(i * endMs) / n, ((i + 1) * endMs) / n] as const;
    return new Map(
      [...this.series.keys()].map((id) => [
        id,
        Array.from({ length: n }, (_, i) => peak(this.inWindow(id, ...slice(i)))),
      ]),
    );
  }
}
