// Resident memory over a long run, per process (the coordinator and each agent): samples taken
// every few seconds, and the growth from the end of warm-up to the end of the run. The soak
// (runtime/soak.ts) judges memory leaks with it.

export interface RssGrowth {
  /** Process: "coordinator" or an agent id. */
  id: string;
  /** Median resident bytes in the window just after warm-up, and in the last window. */
  warm: number;
  end: number;
  growthPct: number;
  samples: number;
}

/** (end - warm) / warm in percent. */
export function growthPercent(warm: number, end: number): number {
  return (100 * (end - warm)) / warm;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export class RssWatch {
  private readonly series = new Map<string, Array<{ atMs: number; bytes: number }>>();

  record(id: string, atMs: number, bytes: number): void {
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = []));
    s.push({ atMs, bytes });
  }

  /** Latest sample of every process. */
  latest(): Map<string, number> {
    return new Map([...this.series].map(([id, s]) => [id, s[s.length - 1]?.bytes ?? 0]));
  }

  /**
   * Growth of every process from [warmMs, warmMs + windowMs] to [endMs - windowMs, endMs].
   * Medians over a window, not single samples: a process's RSS swings by a few MB around each
   * garbage collection, and one sample taken just before or after one would decide the verdict.
   * A process with no sample in either window is reported with NaN growth (a failure).
   */
  growth(warmMs: number, endMs: number, windowMs: number): RssGrowth[] {
    return [...this.series].map(([id, s]) => {
      const inWindow = (from: number, to: number) =>
        s.filter((x) => x.atMs >= from && x.atMs <= to).map((x) => x.bytes);
      const w = inWindow(warmMs, warmMs + windowMs);
      const e = inWindow(endMs - windowMs, endMs);
      const warm = w.length ? median(w) : Number.NaN;
      const end = e.length ? median(e) : Number.NaN;
      return { id, warm, end, growthPct: growthPercent(warm, end), samples: s.length };
    });
  }
}
