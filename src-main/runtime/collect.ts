// Collecting a run's results: the ledger of frames sent and not yet settled, each result taken
// from the sink (joined first when the last stage is split), checked, counted once and handed on
// strictly in frame order; answers under a plan already replaced are dropped (their frames went
// again under the new one), and a frame given up is counted lost and skipped in the order.
import {
  checkTensor,
  type Frame,
  Joiner,
  type StageSpec,
  type WireTensor,
} from '../../remote-agent/src/protocol/index';
import type { Logger } from '../log';
import type { RunFigures } from './stats';

/** A frame's result on its way to onResult. */
interface Result {
  frameId: number;
  outputs: WireTensor[];
  latency: number;
}

export type OnResult = (
  frameId: number,
  outputs: WireTensor[],
  latencyMs: number,
) => void | Promise<void>;

export class Collector {
  /** Frames sent and not yet settled (result received or lost), with their send time. */
  private readonly sentAt = new Map<number, number>();
  private readonly reorder = new Map<number, Result>();
  private readonly lostIds = new Set<number>();
  private nextInOrder = 0;
  private deliveries: Promise<void> = Promise.resolve();
  /** The deployment results are taken from, and the joiner of its split last stage. */
  private deploymentId: string | null = null;
  private joiner: Joiner | null = null;
  sent = 0;
  received = 0;
  lost = 0;
  duplicated = 0;
  /** Answers that came under a plan already replaced, dropped (their frames were sent again). */
  stale = 0;
  /** When the last result came (performance.now() ms). */
  lastProgress = performance.now();

  constructor(
    private readonly runId: string,
    private readonly figures: RunFigures,
    private readonly log: Logger,
    private readonly onResult: OnResult | undefined,
    /** Told of every result and loss (the coordinator's feed loop waits on them). */
    private readonly wake: () => void,
    /** Told when the run's first result comes. */
    private readonly onFirst: () => void,
  ) {}

  /** Results from now on come under deployment `runId`, whose last stage is `last`. */
  follow(runId: string, last: StageSpec): void {
    this.deploymentId = runId;
    this.joiner = last.parts.length > 1 ? new Joiner(last, 1 << 16) : null;
  }

  get inFlight(): number {
    return this.sentAt.size;
  }

  /** A frame goes out now. */
  dispatched(frameId: number): void {
    this.sentAt.set(frameId, performance.now());
    this.sent++;
  }

  /** Whether a frame is still waiting for its result. */
  isOpen(frameId: number): boolean {
    return this.sentAt.has(frameId);
  }

  /** The frames waiting for their result, in frame order. */
  open(): number[] {
    return [...this.sentAt.keys()].sort((x, y) => x - y);
  }

  receive(f: Frame): void {
    if (f.runId !== this.deploymentId) {
      if (f.runId.split('~')[0] === this.runId) {
        this.stale++;
        return;
      }
      throw new Error(`result for run ${f.runId}, this is ${this.runId}`);
    }
    for (const t of f.tensors) checkTensor(t);
    const outputs = this.joiner ? this.joiner.add(f) : f.tensors;
    if (!outputs) return;
    const sentAt = this.sentAt.get(f.frameId);
    if (sentAt === undefined) {
      if (f.frameId < this.sent) {
        // Settled already: a second result for the frame (or one given up as lost).
        this.duplicated++;
        return;
      }
      throw new Error(`result for frame ${f.frameId}, which was never sent`);
    }
    const now = performance.now();
    this.sentAt.delete(f.frameId);
    if (++this.received === 1) this.onFirst();
    this.lastProgress = now;
    this.figures.add(now - sentAt, now);
    this.deliverInOrder({ frameId: f.frameId, outputs, latency: now - sentAt });
    this.wake();
  }

  markLost(frameId: number, why: string): void {
    if (!this.sentAt.has(frameId)) return;
    this.sentAt.delete(frameId);
    this.lostIds.add(frameId);
    this.lost++;
    this.log.warn({ frameId, why }, 'frame lost');
    this.deliverInOrder();
    this.wake();
  }

  /** Gives up every frame still waiting. */
  loseAll(why: string): void {
    for (const id of [...this.sentAt.keys()]) this.markLost(id, why);
  }

  /** Resolves once every result delivered so far has been handled by onResult. */
  delivered(): Promise<void> {
    return this.deliveries;
  }

  /**
   * Hands results to onResult strictly in frame order (lost frames are skipped once known).
   * `arrived`, the result just in, goes straight out when it is the one due, as it usually is:
   * only results that overtook an earlier frame wait in `reorder`. A long-lived map that takes and
   * drops an entry per frame promotes garbage: the tables it leaves behind on each rehash sit in
   * the old generation still pointing at young results, so the next scavenge keeps those alive.
   */
  private deliverInOrder(arrived?: Result): void {
    if (arrived && arrived.frameId !== this.nextInOrder) {
      this.reorder.set(arrived.frameId, arrived);
      arrived = undefined;
    }
    for (;;) {
      let r = arrived;
      arrived = undefined;
      if (!r) {
        r = this.reorder.get(this.nextInOrder);
        this.reorder.delete(this.nextInOrder);
      }
      if (!r) {
        if (this.lostIds.has(this.nextInOrder)) {
          this.nextInOrder++;
          continue;
        }
        return;
      }
      const id = this.nextInOrder++;
      const { outputs, latency } = r;
      const cb = this.onResult;
      if (cb) this.deliveries = this.deliveries.then(() => cb(id, outputs, latency));
    }
  }
}
