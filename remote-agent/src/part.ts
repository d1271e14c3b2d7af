// One part running on this agent: its ORT session, its queue of frames, and its counters. Frames
// are computed one at a time, in arrival order, in turns with the board's other parts (one
// board, one CPU: see turns.ts); the outputs leave only
// when the next stage has a credit free, and only then is the upstream sender answered, so
// back-pressure reaches the coordinator instead of piling up here.
import type { PartSession } from './backend';
import { Joiner } from './protocol/join';
import type { Router } from './protocol/route';
import type { Ack, Frame, PartTelemetry, StageSpec, WireTensor } from './protocol/schema';
import { tensorBytes } from './protocol/tensor';
import type { Turns } from './turns';

interface Waiting {
  frameId: number;
  consumers: string[];
  inputs: WireTensor[];
  arrivedAt: number;
  /** Every upstream message this frame came in (one per part of a split stage before us). */
  answers: Array<{ resolve: (a: Ack) => void; reject: (e: Error) => void }>;
}

export interface PartCounters {
  frames: number;
  computeMs: number;
  busyMs: number;
  queueWaitMs: number;
  maxQueue: number;
  overruns: number;
  bytesIn: number;
  bytesOut: number;
}

const zero = (): PartCounters => ({
  frames: 0,
  computeMs: 0,
  busyMs: 0,
  queueWaitMs: 0,
  maxQueue: 0,
  overruns: 0,
  bytesIn: 0,
  bytesOut: 0,
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PartWorker {
  private readonly queue: Waiting[] = [];
  private readonly joiner: Joiner | null;
  /** Upstream answers for frames still being joined, by frame id. */
  private readonly joining = new Map<number, Waiting['answers']>();
  private counters = zero();
  private running = false;
  private stopped = false;
  /** Emulated thermal throttling: every frame takes this many times its time (see throttle). */
  private slowdown = 1;
  /** How late the last hold ended, and when: taken off the next hold while the board is busy. */
  private late = { ms: 0, at: Number.NEGATIVE_INFINITY };
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly stage: number,
    private readonly part: number,
    readonly session: PartSession,
    private readonly router: Router,
    /** The split stage before this one, whose parts this part joins; null when not split. */
    previous: StageSpec | null,
    private readonly holdMs: number,
    /** The board's CPU, shared with the other parts it holds. */
    private readonly turns: Turns,
    joinLimit: number,
    private readonly onError: (frameId: number, err: Error) => void,
  ) {
    this.joiner = previous && previous.parts.length > 1 ? new Joiner(previous, joinLimit) : null;
  }

  /** Takes one incoming message; the promise answers the sender (its credit comes back). */
  submit(frame: Frame): Promise<Ack> {
    if (this.stopped) return Promise.reject(new Error(`part ${this.name} is shutting down`));
    this.counters.bytesIn += tensorBytes(frame.tensors);
    return new Promise<Ack>((resolve, reject) => {
      const answer = { resolve, reject };
      if (!this.joiner) {
        this.enqueue({
          frameId: frame.frameId,
          consumers: frame.consumers,
          inputs: frame.tensors,
          arrivedAt: performance.now(),
          answers: [answer],
        });
        return;
      }
      const answers = this.joining.get(frame.frameId) ?? [];
      answers.push(answer);
      this.joining.set(frame.frameId, answers);
      let joined: WireTensor[] | null;
      try {
        joined = this.joiner.add(frame);
      } catch (err) {
        answers.pop();
        reject(err as Error);
        return;
      }
      if (!joined) return;
      this.joining.delete(frame.frameId);
      this.enqueue({
        frameId: frame.frameId,
        consumers: frame.consumers,
        inputs: joined,
        arrivedAt: performance.now(),
        answers,
      });
    });
  }

  private enqueue(w: Waiting): void {
    this.queue.push(w);
    this.counters.maxQueue = Math.max(this.counters.maxQueue, this.queue.length);
    if (!this.running) {
      this.running = true;
      this.idle = this.drain();
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const w = this.queue.shift() as Waiting;
      try {
        const results = await this.process(w);
        // Results riding on the answer cross the board's link like any message: an emulated
        // board paces them while the next frame computes (without, the laptop link mchair
        // profile timed on a 40 Mbit/s virtual farm read 79). A link gone still answers.
        void this.router
          .answerCrossed(tensorBytes(results))
          .catch(() => undefined)
          .then(() => {
            for (const a of w.answers) a.resolve({ frameId: w.frameId, tensors: results });
          });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const a of w.answers) a.reject(e);
        this.onError(w.frameId, e);
      }
    }
    this.running = false;
  }

  /** Computes one frame and hands it on; returns the results when they ride on the answer. */
  private async process(w: Waiting): Promise<WireTensor[]> {
    // The board's turn covers the compute and its emulated hold, not the send: the next stage
    // may be another part of this board, waiting for a turn of its own to free a credit.
    const { start, outputs, computeMs, busyMs } = await this.turns.take(() => this.compute(w));
    let bytesOut = tensorBytes(outputs);
    if (!this.router.answersResults) {
      const sent = await this.router.send(w.frameId, this.stage, this.part, w.consumers, outputs);
      sent.acked.catch((err: Error) => this.onError(w.frameId, err));
      bytesOut = sent.bytes;
    }
    const c = this.counters;
    c.frames++;
    c.computeMs += computeMs;
    c.busyMs += busyMs;
    c.queueWaitMs += start - w.arrivedAt;
    c.bytesOut += bytesOut;
    return this.router.answersResults ? outputs : [];
  }

  /** One frame's compute, then its hold on an emulated board, timed. */
  private async compute(w: Waiting) {
    const start = performance.now();
    const outputs = await this.session.run(w.inputs);
    const computeMs = performance.now() - start;
    // An emulated board is slower than this machine: hold the result until its time has passed.
    // A throttled board takes `slowdown` times that (its own compute time on a real board).
    const dueMs = (this.holdMs > 0 ? this.holdMs : computeMs) * this.slowdown;
    // Timers fire late on a loaded host (10-20 ms a hold at load 14 on 2 cores, measured), so a
    // board busy frame after frame fell behind its profile by that each frame (-3.5% IPS on a
    // 309 ms SqueezeNet hold): a frame that was already waiting when the last hold ended late
    // would have started on time on the board, so its hold is shortened by that lateness.
    const credit = this.holdMs > 0 && w.arrivedAt <= this.late.at ? this.late.ms : 0;
    const waitMs = dueMs - credit - computeMs;
    if (waitMs > 0) await sleep(waitMs);
    else if (this.holdMs > 0 && dueMs <= computeMs) this.counters.overruns++;
    const end = performance.now();
    this.late = { ms: Math.min(dueMs, Math.max(0, end - start - (dueMs - credit))), at: end };
    return { start, outputs, computeMs, busyMs: end - start };
  }

  /** From now on every frame takes `factor` times its time (1 = full speed). */
  throttle(factor: number): void {
    this.slowdown = factor;
  }

  /**
   * Drops the part at once (a new deployment replaced the run's plan): queued and half-joined
   * frames are refused, since the coordinator sends every unfinished frame again under the new
   * plan. Unlike stop(), nothing waits for a downstream board that may be gone. `keepSession`:
   * the new deployment runs the same part file on this session.
   */
  abandon(keepSession: boolean): void {
    this.stopped = true;
    const e = new Error(`part ${this.name} was replaced by a new deployment`);
    for (const w of this.queue.splice(0)) for (const a of w.answers) a.reject(e);
    for (const answers of this.joining.values()) for (const a of answers) a.reject(e);
    this.joining.clear();
    if (!keepSession) void this.idle.then(() => this.session.release()).catch(() => undefined);
  }

  /** Counters since the previous call. */
  take(): PartTelemetry {
    const c = this.counters;
    this.counters = zero();
    return { part: this.name, ...c };
  }

  /** Stops taking frames and waits for the queue to empty (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle;
    for (const answers of this.joining.values()) {
      for (const a of answers)
        a.reject(new Error(`part ${this.name} stopped before the frame's other parts came`));
    }
    this.joining.clear();
    await this.session.release();
  }
}
