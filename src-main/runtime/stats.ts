// Run figures: IPS = completed frames over the run's measured window, latency percentiles,
// per-device load. The window opens when the warm-up is over (the first frames pay for connection
// set-up and ORT's first-run allocations) and the pipeline has filled (a whole round of its widest
// stage: its replicas' first frames finish together), and closes at the last frame. A run whose
// window holds less than two more rounds has no IPS: a handful of frames finishing together would
// read as any rate at all (3 SqueezeNet frames on 3 Pi 3s read 35 IPS against 8 predicted).

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

/** The stretch of a run its IPS and energy per inference are measured over (performance.now() ms). */
export interface MeasuredWindow {
  fromMs: number;
  toMs: number;
  /** Frames completed inside it (after the one that opens it). */
  frames: number;
  ips: number;
}

/** A measured window as a run's record keeps it: seconds since the run's first frame. */
export function recordedWindow(
  w: MeasuredWindow | null,
  startedAtMs: number,
): { fromS: number; toS: number; seconds: number; frames: number } | null {
  if (!w) return null;
  return {
    fromS: (w.fromMs - startedAtMs) / 1000,
    toS: (w.toMs - startedAtMs) / 1000,
    seconds: (w.toMs - w.fromMs) / 1000,
    frames: w.frames,
  };
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
  /** Completion times kept from the start: enough for the warm-up and the fill. */
  private readonly keepFirst: number;
  private lastDone = 0;
  private readonly firstDone: number[] = [];
  private readonly firstLatency: number[] = [];
  private readonly later: number[] = [];
  private readonly recentDone = new Float64Array(RECENT_DONE);
  private readonly recentLatency = new Float64Array(RECENT_LATENCY);
  // A fixed-seed generator: the same run gives the same percentiles.
  private seed = 0x2545f491;

  /** `roundFrames`: frames one round of the plan's widest stage completes (its replicas). */
  constructor(private readonly roundFrames = 1) {
    this.keepFirst = Math.max(WARMUP_MAX, roundFrames);
  }

  get completed(): number {
    return this.count;
  }

  add(latencyMs: number, doneAt: number): void {
    if (this.count < this.keepFirst) {
      this.firstDone.push(doneAt);
      this.firstLatency.push(latencyMs);
    } else if (this.later.length < LATENCY_RESERVOIR) {
      this.later.push(latencyMs);
    } else {
      const slot = this.random() % (this.count - this.keepFirst + 1);
      if (slot < LATENCY_RESERVOIR) this.later[slot] = latencyMs;
    }
    this.recentDone[this.count % RECENT_DONE] = doneAt;
    this.recentLatency[this.count % RECENT_LATENCY] = latencyMs;
    this.count++;
    this.lastDone = doneAt;
  }

  /** Frames before the window opens: the warm-up, and never less than one round (the fill). */
  private skipped(): number {
    return Math.max(warmupFrames(this.count), this.roundFrames);
  }

  /**
   * The measured window: from the completion of the last frame before it to the last frame's;
   * null while it holds fewer than two rounds (see `shortfall`).
   */
  window(): MeasuredWindow | null {
    const skip = this.skipped();
    const frames = this.count - skip;
    if (frames < Math.max(2, 2 * this.roundFrames)) return null;
    const fromMs = this.firstDone[skip - 1]!;
    if (this.lastDone <= fromMs) return null;
    return { fromMs, toMs: this.lastDone, frames, ips: (frames * 1000) / (this.lastDone - fromMs) };
  }

  ips(): number | null {
    return this.window()?.ips ?? null;
  }

  /** Why there is no window, in words; null when there is one. */
  shortfall(): string | null {
    if (this.window()) return null;
    const need = this.skipped() + Math.max(2, 2 * this.roundFrames);
    return `too short to measure: ${this.count} frames completed, and a window needs ${need} (${this.skipped()} to warm up and fill the pipeline, then two rounds of its widest stage's ${this.roundFrames} replica${this.roundFrames === 1 ? '' : 's'})`;
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
