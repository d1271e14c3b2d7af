// `--check` running behind the run: results are recorded the moment the run counts them, and the
// whole-model comparison (seconds per frame on a slow laptop, while a fast farm answers in
// milliseconds) works through them afterwards on a queue of bounded size. When the queue is full
// the feed waits for room (back-pressure through the frame source's ready()), so a checked run
// never holds more than the budget plus the frames already in flight, and an unchecked run never
// meets any of this.
import { byteSize, type WireTensor } from '../../remote-agent/src/protocol/index';
import type { ResultChecker } from './check';
import type { FrameSource } from './source';

/** Bytes of inputs and outputs waiting for their check before the feed waits (~400 AlexNet frames). */
export const CHECK_BACKLOG_BYTES = 64 * 1024 * 1024;

interface Waiting {
  frameId: number;
  outputs: WireTensor[];
  /** Taken when the result is counted: a live source keeps a frame only for a while. */
  input: Promise<WireTensor>;
  bytes: number;
}

export class CheckBehind {
  private readonly queue: Waiting[] = [];
  private heldBytes = 0;
  private working: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  private readonly roomWaiters: Array<() => void> = [];
  private checkedCount = 0;
  private largest = 0;
  private mismatchedCount = 0;

  constructor(
    private readonly checker: ResultChecker,
    private readonly source: FrameSource,
    private readonly tolerance: number,
    /** Sees every verdict, in frame order (the run store's checks.jsonl). */
    private readonly onChecked: (frameId: number, maxAbsDiff: number) => void,
    private readonly budgetBytes = CHECK_BACKLOG_BYTES,
  ) {}

  /** Queues a counted result for its check; never waits (the feed's back-pressure bounds it). */
  add(frameId: number, outputs: WireTensor[]): void {
    if (this.closed || this.failure) return;
    const input = this.source.frame(frameId);
    // A rejected input is reported by the check that awaits it, not as an unhandled rejection.
    input.catch(() => undefined);
    const bytes = byteSize(this.source.input) + outputs.reduce((a, t) => a + t.bytes.length, 0);
    this.queue.push({ frameId, outputs, input, bytes });
    this.heldBytes += bytes;
    this.working ??= this.work();
  }

  /** Resolves once the queue is under its budget; rejects once a check has failed. */
  async room(): Promise<void> {
    while (!this.failure && !this.closed && this.heldBytes >= this.budgetBytes)
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** The frame source with the feed waiting for room in this queue before each frame. */
  gate(source: FrameSource): FrameSource {
    return {
      name: source.name,
      input: source.input,
      frame: (id) => source.frame(id),
      ready: async () => {
        await source.ready?.();
        await this.room();
      },
    };
  }

  /** Frames checked so far (the run's progress line). */
  get checked(): number {
    return this.checkedCount;
  }

  /** Waits for every queued check; rethrows the first failure. */
  async drain(): Promise<{ maxAbsDiff: number; mismatched: number }> {
    while (this.working) await this.working;
    if (this.failure) throw this.failure;
    return { maxAbsDiff: this.largest, mismatched: this.mismatchedCount };
  }

  /** Drops what is queued and waits for the check under way, so the checker can be released. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.heldBytes = 0;
    this.wakeFeed();
    while (this.working) await this.working;
  }

  private async work(): Promise<void> {
    try {
      for (let w = this.queue.shift(); w; w = this.queue.shift()) {
        const diff = await this.checker.maxAbsDiff(await w.input, w.outputs);
        this.heldBytes -= w.bytes;
        this.wakeFeed();
        if (this.closed) break;
        this.checkedCount++;
        if (!(diff < this.tolerance)) this.mismatchedCount++;
        this.largest = Math.max(this.largest, diff);
        this.onChecked(w.frameId, diff);
      }
    } catch (err) {
      this.failure = err as Error;
      this.queue.length = 0;
      this.heldBytes = 0;
      this.wakeFeed();
    } finally {
      this.working = null;
    }
  }

  private wakeFeed(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }
}
