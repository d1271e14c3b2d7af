// Bytes, rate and time left of a download, as the CLI's bar and the app's progress bar show them:
// the rate over the last few seconds (a whole-download average hides a link that just slowed),
// reported at most a few times a second.
import type { DownloadProgress } from '../../contract/download';

export type { DownloadProgress };

const WINDOW_MS = 5000;

export class RateMeter {
  private samples: Array<{ t: number; bytes: number }> = [];
  private lastEmit = -Infinity;

  constructor(
    private readonly emit: (received: number, rateBps: number, etaS: number | null) => void,
    private readonly total: number,
    private readonly everyMs: number,
  ) {}

  /** Records `received` bytes so far; `force` reports even inside the throttle (first, last). */
  update(received: number, force = false): void {
    const t = performance.now();
    this.samples.push({ t, bytes: received });
    while (this.samples.length > 2 && t - this.samples[0]!.t > WINDOW_MS) this.samples.shift();
    if (!force && t - this.lastEmit < this.everyMs) return;
    this.lastEmit = t;
    const first = this.samples[0]!;
    const seconds = (t - first.t) / 1000;
    const rate = seconds > 0 ? Math.max(0, received - first.bytes) / seconds : 0;
    this.emit(received, rate, rate > 0 ? (this.total - received) / rate : null);
  }

  /** A restart or a resume: the rate is measured again from here. */
  reset(): void {
    this.samples = [];
  }
}
