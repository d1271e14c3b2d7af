// Run figures: IPS = completed frames over wall time after warm-up (the first frames pay for
// connection set-up and ORT's first-run allocations), latency percentiles, per-device load.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function warmupFrames(total: number): number {
  return Math.min(20, Math.floor(total / 10));
}

/** Completion times (ms, coordinator clock) in completion order -> IPS after warm-up. */
export function ipsAfterWarmup(doneAt: readonly number[], warmup: number): number | null {
  const n = doneAt.length - warmup;
  if (n < 2) return null;
  const t0 = doneAt[warmup - 1] ?? doneAt[0];
  const t1 = doneAt[doneAt.length - 1] as number;
  if (t0 === undefined || t1 <= t0) return null;
  return ((warmup === 0 ? n - 1 : n) * 1000) / (t1 - t0);
}
