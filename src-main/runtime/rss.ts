// Resident memory over a long run, per process (the coordinator and each agent): samples taken
// every few seconds, and the growth from the end of warm-up to the end of the run. The soak
// (runtime/soak.ts) judges memory leaks with it.

export interface RssGrowth {
  /** Process: "coordinator" or an agent id. */
  id: string;
  /** Peak resident bytes in the first and in the second half of the time after warm-up. */
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
   * Growth of every process from warm-up (warmMs) to the end (endMs): its peak in the second half
   * of that time over its peak in the first half. Peaks, not single samples or window averages:
   * RSS saw-tooths by 10-30% as V8 grows its heap and gives pages back after a full collection,
   * so a point sample's verdict would depend on where in that cycle it fell. A leak raises the
   * peaks; the saw-tooth does not. A process with no sample in either half has NaN growth (a
   * failure: an agent that stopped reporting).
   */
  growth(warmMs: number, endMs: number): RssGrowth[] {
    const mid = (warmMs + endMs) / 2;
    return [...this.series].map(([id, s]) => {
      const warm = peak(this.inWindow(id, warmMs, mid));
      const end = peak(this.inWindow(id, mid, endMs));
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
