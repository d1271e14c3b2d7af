// Where a frame goes next, and the credits that keep every queue bounded. Each sender (the
// coordinator's source or an agent's part) holds a window of credits per receiver replica: a
// frame takes one when sent and gives it back when the receiver answers (after computing it), so
// a replica never holds more than `window` frames from one sender. Among replicas of the next
// part the sender picks the one with the fewest frames in flight.
//
// Split stages are the exception the published Musical Chair got wrong: all parts of a split
// must deliver a frame to the SAME consumer replica, so the consumer is chosen at the fan-out
// (upstream of the split) and travels in the frame (`consumers`). Sends to a consumer do not wait
// for its credits: two parts waiting on each other's window would deadlock; the consumer's join
// buffer is bounded instead by the frames the coordinator lets into the farm.
import type { Link } from './medium';
import type { PeerClient } from './endpoint';
import {
  answersResults,
  type Ack,
  type Outgoing,
  type Frame,
  type Peer,
  type WireTensor,
} from './schema';

export class Credits {
  private readonly inFlight = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private closed = false;
  /** Where the next search starts, so replicas tied on load take turns (a lightly loaded farm
   * would otherwise send every frame to the first replica and leave the others idle). */
  private turn = 0;

  constructor(readonly window: number) {}

  count(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  /** Takes a credit at the least-loaded replica that has one, waiting until one does. */
  async acquire(replicas: readonly Peer[]): Promise<Peer> {
    for (;;) {
      if (this.closed) throw new Error('the deployment was replaced; no more credits');
      let best: Peer | undefined;
      const start = this.turn++ % Math.max(1, replicas.length);
      for (let k = 0; k < replicas.length; k++) {
        const r = replicas[(start + k) % replicas.length] as Peer;
        if (this.count(r.id) < this.window && (!best || this.count(r.id) < this.count(best.id)))
          best = r;
      }
      if (best) {
        this.take(best.id);
        return best;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Counts a frame sent outside the window (to a chosen consumer). */
  take(id: string): void {
    this.inFlight.set(id, this.count(id) + 1);
  }

  release(id: string): void {
    this.inFlight.set(id, Math.max(0, this.count(id) - 1));
    // Wake every waiter: each re-checks, since the freed credit may be at a replica it cannot use.
    for (const w of this.waiters.splice(0)) w();
  }

  /** Fails every waiting and later acquire (a replaced deployment must not wait for a lost board). */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
  }

  total(): number {
    let n = 0;
    for (const v of this.inFlight.values()) n += v;
    return n;
  }
}

export type Connect = (peer: Peer) => Promise<PeerClient>;

/** One frame's hand-over to the next stage: which replica got which part. */
export interface Sent {
  /** Resolves when every receiver has answered (its credit is back). */
  acked: Promise<Ack[]>;
  bytes: number;
}

export class Router {
  readonly credits: Credits;
  /** The last stage's results go back in the answers to the coordinator (see answersResults). */
  readonly answersResults: boolean;
  private readonly rotation = new Map<string, number>();
  /**
   * Messages sent and not yet answered (a graceful stop waits for them), counted rather than
   * kept in a set: a long-lived set that takes and drops a promise per frame promotes each
   * frame's garbage to the old generation (see Coordinator.deliverInOrder).
   */
  private unanswered = 0;
  private readonly whenAnswered: Array<() => void> = [];

  constructor(
    private readonly deployment: Outgoing<'Deployment'>,
    private readonly connect: Connect,
    /** Emulated link (virtual farm): each message waits for its airtime before it goes. */
    private readonly link: Link | null = null,
    /**
     * This agent's id: a message to another part of this board goes over loopback, not the air,
     * so it pays no airtime (the planner costs it the same way).
     */
    private readonly self: string | null = null,
  ) {
    this.credits = new Credits(deployment.window);
    this.answersResults = answersResults(deployment);
  }

  /** Resolves once `bytes` of results on an answer have crossed this board's link (if paced). */
  async answerCrossed(bytes: number): Promise<void> {
    if (this.link && bytes > 0) await this.link.transmit(bytes);
  }

  /**
   * Sends the outputs of (stage `from`, part `fromPart`) for one frame onward; `from` is -1 for
   * the coordinator's source. Returns once every message is handed to its connection.
   */
  async send(
    frameId: number,
    from: number,
    fromPart: number,
    consumersIn: readonly string[],
    outputs: readonly WireTensor[],
  ): Promise<Sent> {
    const { stages, sink } = this.deployment;
    const dest = from + 1;
    const fromSplit = from >= 0 && (stages[from]?.parts.length ?? 1) > 1;
    const base = { runId: this.deployment.runId, frameId, stage: dest, fromPart };
    const jobs: Promise<Ack>[] = [];
    let bytes = 0;
    const emit = (peer: Peer, frame: Frame) => {
      const size = frame.tensors.reduce((a, t) => a + t.bytes.length, 0);
      bytes += size;
      const link = peer.id === this.self ? null : this.link;
      this.unanswered++;
      const job = this.connect(peer)
        .then(async (c) => {
          if (link) await link.transmit(size);
          return c.forward(frame);
        })
        .finally(() => {
          this.credits.release(peer.id);
          if (--this.unanswered === 0) for (const w of this.whenAnswered.splice(0)) w();
        });
      jobs.push(job);
    };

    if (dest === stages.length) {
      this.credits.take(sink.id);
      emit(sink, { ...base, part: 0, consumers: [], tensors: [...outputs] });
      return { acked: Promise.all(jobs), bytes };
    }
    const stage = stages[dest];
    if (!stage) throw new Error(`frame ${frameId}: no stage ${dest}`);
    const consumersOut =
      stage.parts.length > 1 ? this.chooseConsumers(frameId, dest + 1, fromSplit) : [];
    for (let p = 0; p < stage.parts.length; p++) {
      const part = stage.parts[p]!;
      // A split part sends its own output; the consumer joins it with the others.
      const tensors = fromSplit ? [...outputs] : pick(outputs, part.inputs, frameId);
      let peer: Peer;
      if (fromSplit) {
        const id = consumersIn[p];
        const chosen = part.replicas.find((r) => r.id === id);
        if (!chosen)
          throw new Error(`frame ${frameId}: consumer "${id}" is not a replica of stage ${dest}`);
        this.credits.take(chosen.id);
        peer = chosen;
      } else {
        peer = await this.credits.acquire(part.replicas);
      }
      emit(peer, { ...base, part: p, consumers: consumersOut, tensors });
    }
    return { acked: Promise.all(jobs), bytes };
  }

  /** Resolves once no message sent is waiting for its answer (each answered or failed). */
  async drained(): Promise<void> {
    if (this.unanswered > 0) await new Promise<void>((r) => this.whenAnswered.push(r));
  }

  /**
   * Consumers of stage `stage` (the one after a split), one replica per part. Chosen in rotation
   * so consumers share the load. When this sender is itself a split part, its sibling parts
   * choose too and must agree without talking, so the choice is a function of the frame id.
   */
  private chooseConsumers(frameId: number, stage: number, deterministic: boolean): string[] {
    const { stages, sink } = this.deployment;
    if (stage === stages.length) return [sink.id];
    return (stages[stage]?.parts ?? []).map((part, j) => {
      const n = part.replicas.length;
      let k: number;
      if (deterministic) k = frameId % n;
      else {
        const key = `${stage}.${j}`;
        k = this.rotation.get(key) ?? 0;
        this.rotation.set(key, (k + 1) % n);
      }
      return part.replicas[k]!.id;
    });
  }
}

function pick(
  outputs: readonly WireTensor[],
  names: readonly string[],
  frameId: number,
): WireTensor[] {
  return names.map((n) => {
    const t = outputs.find((o) => o.name === n);
    if (!t) throw new Error(`frame ${frameId}: next part needs "${n}", which no output provides`);
    return t;
  });
}
