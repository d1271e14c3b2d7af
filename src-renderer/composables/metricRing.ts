// A run's live samples, kept out of Vue's reactivity: a fixed-size ring of typed arrays, one
// time column and one column per channel (farm IPS, each device's frames/s). Appending never
// allocates once a channel exists, so a 10 Hz stream from 12 devices for 10 minutes costs the
// same as the first second; charts copy it into their points when they draw (see copyInto).

export interface Point {
  x: number;
  y: number;
}

export class MetricRing {
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private readonly listeners = new Set<() => void>();
  /** Index the next sample goes to. */
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.times = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Channel names in the order they first appeared. */
  channels(): string[] {
    return [...this.columns.keys()];
  }

  /** Adds one sample at time t; a channel absent from it reads NaN there (a gap in the line). */
  append(t: number, values: Iterable<readonly [string, number]>): void {
    const at = this.head;
    this.times[at] = t;
    for (const column of this.columns.values()) column[at] = Number.NaN;
    for (const [name, value] of values) {
      let column = this.columns.get(name);
      if (!column) {
        column = new Float64Array(this.capacity).fill(Number.NaN);
        this.columns.set(name, column);
      }
      column[at] = value;
    }
    this.head = (at + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    for (const l of this.listeners) l();
  }

  /**
   * Writes one channel, oldest first, into points, reusing the objects already there (Chart.js
   * with `parsing: false` draws these directly). `joinGaps` leaves out the times the channel has
   * no value, for channels sampled at their own rates (meters) whose line must not break at every
   * other channel's sample.
   */
  copyInto(channel: string, points: Point[], joinGaps = false): void {
    const column = this.columns.get(channel);
    const start = (this.head - this.count + this.capacity) % this.capacity;
    let n = 0;
    if (column) {
      for (let i = 0; i < this.count; i++) {
        const at = (start + i) % this.capacity;
        const x = this.times[at] as number;
        const y = column[at] as number;
        if (joinGaps && Number.isNaN(y)) continue;
        const p = points[n];
        if (p) {
          p.x = x;
          p.y = y;
        } else {
          points[n] = { x, y };
        }
        n++;
      }
    }
    points.length = n;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.columns.clear();
    for (const l of this.listeners) l();
  }

  /** Called after every append and clear; returns the function that unsubscribes. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
