// Run figures: IPS = completed frames over wall time after warm-up (the first frames pay for
// connection set-up and ORT's first-run allocations), latency percentiles, per-device load.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** warmupFrames never exceeds this, so the first frames' figures are all a run needs to keep. */
const WARMUP_MAX = 20;

export function warmupFrames(total: number): number {
  return Math.min(WARMUP_MAX, Math.floor(total / 10));
}

/** Latency samples kept after warm-up; beyond this a uniform reservoir keeps percentiles honest. */
const LATENCY_RESERVOIR = 65_536;
/** Completion times kept for rate windows (a few seconds even at thousands of frames/s). */
const RECENT_DONE = 1 << 16;
const RECENT_LATENCY = 200;

/**
 * A run's figures in bounded memory, however long it streams: the first frames' completion times
 * and latencies (warm-up is decided by the final count), a reservoir of later latencies, the
 * last completion times for rate windows and the last 200 latencies for live percentiles.
 */
export class RunFigures {
  private count = 0;
  private lastDone = 0;
  private readonly firstDone: number[] = [];
  private readonly firstLatency: number[] = [];
  private readonly later: number[] = [];
  private readonly recentDone = new Float64Array(RECENT_DONE);
  private readonly recentLatency = new Float64Array(RECENT_LATENCY);
  // A fixed-seed generator: the same run gives the same percentiles.
  private seed = 0x2545f491;

  get completed(): number {
    return this.count;
  }

  add(latencyMs: number, doneAt: number): void {
    if (this.count < WARMUP_MAX) {
      this.firstDone.push(doneAt);
      this.firstLatency.push(latencyMs);
    } else if (this.later.length < LATENCY_RESERVOIR) {
      this.later.push(latencyMs);
    } else {
      const slot = this.random() % (this.count - WARMUP_MAX + 1);
      if (slot < LATENCY_RESERVOIR) this.later[slot] = latencyMs;
    }
    this.recentDone[this.count % RECENT_DONE] = doneAt;
    this.recentLatency[this.count % RECENT_LATENCY] = latencyMs;
    this.count++;
    this.lastDone = doneAt;
  }

  /**
   * Completed frames over wall time after warm-up: from the last warm-up frame's completion (or
   * the first frame's, without warm-up) to the last one's.
   */
  ips(): number | null {
    const warm = warmupFrames(this.count);
    const n = this.count - warm;
    if (n < 2) return null;
    const t0 = this.firstDone[warm - 1] ?? this.firstDone[0];
    if (t0 === undefined || this.lastDone <= t0) return null;
    return ((warm === 0 ? n - 1 : n) * 1000) / (this.lastDone - t0);
  }

  /** Latency percentiles after warm-up (NaN before any frame). */
  latency(): { p50: number; p95: number; p99: number } {
    const lat = [...this.firstLatency.slice(warmupFrames(this.count)), ...this.later].sort(
      (a, b) => a - b,
    );
    return { p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99) };
  }

  /** Percentiles of the last 200 frames, for live metrics (0 before any frame). */
  recentLatency50And95(): { p50: number; p95: number } {
    const n = Math.min(this.count, RECENT_LATENCY);
    if (n === 0) return { p50: 0, p95: 0 };
    const lat = Array.from(this.recentLatency.subarray(0, n)).sort((a, b) => a - b);
    return { p50: percentile(lat, 50), p95: percentile(lat, 95) };
  }

  /** Frames completed in (from, to]; counts only the recent window kept. */
  completedBetween(from: number, to: number): number {
    let n = 0;
    const kept = Math.min(this.count, RECENT_DONE);
    for (let k = 1; k <= kept; k++) {
      const t = this.recentDone[(this.count - k) % RECENT_DONE] as number;
      if (t <= from) break;
      if (t <= to) n++;
    }
    return n;
  }

  private random(): number {
    // xorshift32
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
