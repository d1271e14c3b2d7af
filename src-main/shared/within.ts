// A deadline on a promise, shared by the rooms that wait on boards (the run's heartbeat, the
// farm table's readings, a board meter).

/** `p`, or a rejection saying `why` once `ms` have passed without it. */
export function within<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(why)), ms))),
  ]).finally(() => clearTimeout(t));
}
