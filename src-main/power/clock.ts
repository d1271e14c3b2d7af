// The one clock a run's meter samples and events share: the coordinator's monotonic clock
// (performance.now, never stepped by NTP) in milliseconds since the session began, with the wall
// time of that origin kept so logs that carry wall-clock stamps (CSV imports) can be placed on it.
export interface Clock {
  /** Milliseconds since the origin; never goes backwards. */
  now(): number;
  /** Wall-clock time (epoch ms) of the origin. */
  readonly originEpochMs: number;
}

export function monotonicClock(): Clock {
  const origin = performance.now();
  return { now: () => performance.now() - origin, originEpochMs: Date.now() };
}

/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}
