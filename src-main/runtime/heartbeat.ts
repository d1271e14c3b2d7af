// The Heartbeat watches every board of a run's farm with health pings on a connection of its own
// (a data connection can be busy with frames, or closed on purpose by a redeploy). A board that
// leaves its connection closed, refuses a new one, or leaves a ping unanswered for LOST_MS is
// declared lost; a lost board that answers again is back; a board whose health reports a new
// slowdown (thermal throttling) is declared slowed; a board whose agent started again between two
// pings (its uptime went back) is lost and back. Every board silent at once is no board's fault:
// it is an outage of this machine's own link, and is said once (outage), then restored when any
// board answers again. Verdicts are what the Fault handler acts on.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { threadEntry } from '../shared/threadEntry';
import { within } from '../shared/within';
import {
  type Health,
  type Peer,
  PeerClient,
  type TlsMaterial,
} from '../../remote-agent/src/protocol/index';

/** How often each board is pinged. */
export const PING_EVERY_MS = 200;
/**
 * How long a board may stay silent before it is lost. Agents answer pings while they compute
 * (each part on a thread of its own), so only a loaded machine makes an answer late, by a few
 * hundred ms; 1.2 s plus one ping period leaves the verdict inside the 2 s the issue allows even
 * when this process is itself late (at 1.5 s a cut took up to 2.17 s to call at load ~10).
 */
export const LOST_MS = 1200;

/**
 * Failures that say nothing of the board: no answer yet, or no route to it (this machine's link
 * down takes the route with it). Only a board that refuses or drops a connection is gone at once.
 */
const SILENCE = /no answer|ENETUNREACH|EHOSTUNREACH|ENETDOWN|EHOSTDOWN|ETIMEDOUT/;

export type Verdict =
  | { kind: 'lost'; device: string; at: number; lastHeardAt: number; why: string }
  | { kind: 'back'; device: string; at: number }
  | { kind: 'slowed'; device: string; at: number; slowdown: number };

/** This machine's own link: every board silent at once, then answering again. */
export type LinkVerdict =
  { kind: 'outage'; at: number; lastHeardAt: number } | { kind: 'restored'; at: number };

interface Watch {
  peer: Peer;
  client: PeerClient | null;
  connecting: Promise<PeerClient> | null;
  lastHeardAt: number;
  /** A ping sent and not yet answered: when it left. */
  pendingSince: number | null;
  lost: boolean;
  slowdown: number;
  /** The agent's uptime at its last answer: less at the next one means it started again. */
  uptimeMs: number | null;
  /** Loads under way on the board (see excuse): its silence does not count meanwhile. */
  excused: number;
}

export class Heartbeat {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | null = null;
  private nonce = 0;
  private lastBeat = 0;
  /** Every board has been silent at once since this (performance.now() ms); null while not. */
  private outageSince: number | null = null;

  constructor(
    peers: readonly Peer[],
    private readonly tls: TlsMaterial,
    private readonly onVerdict: (v: Verdict | LinkVerdict) => void,
    /** Boards the run knows lost already (before its first frame): back when they answer. */
    lost: readonly string[] = [],
  ) {
    for (const p of peers) this.watch(p, lost.includes(p.id));
  }

  /** Watches one more board (one that joined the farm mid-run), heard from now. */
  watch(p: Peer, lost = false): void {
    if (this.watches.has(p.id)) return;
    this.watches.set(p.id, {
      peer: p,
      client: null,
      connecting: null,
      lastHeardAt: performance.now(),
      pendingSince: null,
      lost,
      slowdown: 1,
      uptimeMs: null,
      excused: 0,
    });
  }

  /**
   * Boards the run found gone (a deployment to them failed) though their pings may still be
   * answered (an agent restarted at once, as after a reboot): lost from now, with no verdict
   * (the run knows), and back, so offered a chair again, when they next answer.
   */
  suspect(ids: Iterable<string>): void {
    for (const id of ids) {
      const w = this.watches.get(id);
      if (!w || w.lost) continue;
      w.lost = true;
      w.client?.close();
      w.client = null;
    }
  }

  start(): void {
    const now = performance.now();
    for (const w of this.watches.values()) w.lastHeardAt = now;
    this.timer = setInterval(() => this.beat(), PING_EVERY_MS);
    this.beat();
  }

  /** Whether a board is lost right now. */
  isLost(id: string): boolean {
    return this.watches.get(id)?.lost ?? false;
  }

  /** The slowdown a board last reported (1 = its profile's speed). */
  slowdownOf(id: string): number {
    return this.watches.get(id)?.slowdown ?? 1;
  }

  /**
   * Boards loading a new plan: an agent is deaf while onnxruntime loads a session, so silence
   * until `busy` settles is not a fault (a closed connection still is).
   */
  excuse(ids: Iterable<string>, busy: Promise<unknown>): void {
    const ws = [...ids].map((id) => this.watches.get(id)).filter((w): w is Watch => !!w);
    for (const w of ws) w.excused++;
    void busy
      .catch(() => undefined)
      .then(() => {
        const now = performance.now();
        for (const w of ws) {
          w.excused--;
          w.lastHeardAt = Math.max(w.lastHeardAt, now);
        }
      });
  }

  private beat(): void {
    const now = performance.now();
    // This process's own stalls (a result check, a plan search) are nobody's silence: answers
    // that came meanwhile wait unread behind this timer. The stall is forgiven to every board.
    const stall = this.lastBeat > 0 ? now - this.lastBeat - PING_EVERY_MS : 0;
    this.lastBeat = now;
    if (stall > PING_EVERY_MS / 2) for (const w of this.watches.values()) w.lastHeardAt += stall;
    // Every board that is not lost silent past LOST_MS at once: this machine's link, not them.
    const live = [...this.watches.values()].filter((w) => !w.lost);
    if (
      this.outageSince === null &&
      live.length > 1 &&
      live.every((w) => w.excused === 0 && now - w.lastHeardAt > LOST_MS)
    ) {
      this.outageSince = Math.max(...live.map((w) => w.lastHeardAt));
      this.onVerdict({ kind: 'outage', at: now, lastHeardAt: this.outageSince });
    }
    // A board silent past LOST_MS while every other one has been quiet for half that may be the
    // first of an outage (their pings went out at other times): its verdict waits until the
    // others answer (it is lost) or go silent too (the link is).
    const quiet = (w: Watch) => now - w.lastHeardAt > LOST_MS / 2;
    for (const w of this.watches.values()) {
      if (this.outageSince !== null) break;
      const othersQuiet = live.length > 1 && live.every((x) => x === w || quiet(x));
      if (!w.lost && w.excused === 0 && now - w.lastHeardAt > LOST_MS && !othersQuiet) {
        this.declareLost(w, `no answer to health pings for ${Math.round(now - w.lastHeardAt)} ms`);
      }
    }
    // One ping at a time per board: a silent board is not flooded, and a late answer still
    // counts (it clears pendingSince).
    for (const w of this.watches.values()) if (w.pendingSince === null) void this.ping(w);
  }

  private declareLost(w: Watch, why: string): void {
    if (w.lost) return;
    w.lost = true;
    w.client?.close();
    w.client = null;
    this.onVerdict({
      kind: 'lost',
      device: w.peer.id,
      at: performance.now(),
      lastHeardAt: w.lastHeardAt,
      why,
    });
  }

  private async ping(w: Watch): Promise<void> {
    w.pendingSince = performance.now();
    let h: Health;
    try {
      const c = await this.client(w);
      h = await within(c.ping(++this.nonce), LOST_MS, `${w.peer.id}: no answer to a ping`);
    } catch (err) {
      w.pendingSince = null;
      // A board that closed its connection or refuses one is gone now, not in LOST_MS: a killed
      // process is detected in one ping period. A silent one is lost when beat() says so.
      if (!w.lost && !SILENCE.test((err as Error).message))
        this.declareLost(w, (err as Error).message);
      // A connection with an unanswered ping may be stuck for good: the next ping opens another.
      w.client?.close();
      w.client = null;
      return;
    }
    w.pendingSince = null;
    if (this.timer === null || h.agentId !== w.peer.id) return;
    const now = performance.now();
    if (this.outageSince !== null) {
      // The link is back: every board's silence so far was the link's, not theirs.
      this.outageSince = null;
      for (const x of this.watches.values()) x.lastHeardAt = now;
      this.onVerdict({ kind: 'restored', at: now });
    }
    w.lastHeardAt = now;
    const restarted = w.uptimeMs !== null && h.uptimeMs < w.uptimeMs;
    w.uptimeMs = h.uptimeMs;
    if (restarted && !w.lost) {
      // Started again between two pings (a quick reboot): its plan and frames are gone.
      this.declareLost(w, `its agent started again (up ${Math.round(h.uptimeMs)} ms)`);
      return;
    }
    if (w.lost) {
      w.lost = false;
      w.slowdown = h.slowdown ?? 1;
      this.onVerdict({ kind: 'back', device: w.peer.id, at: now });
      return;
    }
    const slowdown = h.slowdown ?? 1;
    if (slowdown !== w.slowdown) {
      w.slowdown = slowdown;
      this.onVerdict({ kind: 'slowed', device: w.peer.id, at: now, slowdown });
    }
  }

  /** A board whose connection closed: lost if it refuses a new one. */
  private async probe(w: Watch): Promise<void> {
    try {
      await this.client(w);
    } catch (err) {
      if (!w.lost && !SILENCE.test((err as Error).message))
        this.declareLost(w, (err as Error).message);
    }
  }

  private async client(w: Watch): Promise<PeerClient> {
    if (w.client && !w.client.isClosed) return w.client;
    w.client = null;
    w.connecting ??= PeerClient.connect(w.peer, { tls: this.tls, timeoutMs: LOST_MS }).finally(
      () => {
        w.connecting = null;
      },
    );
    const c = await w.connecting;
    if (this.timer === null) {
      c.close();
      throw new Error('heartbeat stopped');
    }
    w.client = c;
    // A killed agent's connection closes at once: probe it now rather than wait for the ping.
    c.onClose(() => {
      if (w.client !== c || this.timer === null) return;
      w.client = null;
      if (!w.lost) void this.probe(w);
    });
    return c;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.watches.values()) {
      w.client?.close();
      w.client = null;
    }
  }
}

/** What a run holds of its heartbeat, wherever it beats. */
export interface HeartbeatHandle {
  excuse(ids: Iterable<string>, busy: Promise<unknown>): void;
  suspect(ids: Iterable<string>): void;
  watch(p: Peer): void;
  stop(): void;
}

type ToWorker =
  | { excuse: string[]; token: number }
  | { excused: number }
  | { suspect: string[] }
  | { watch: Peer }
  | { stop: true };

/**
 * Starts the heartbeat on a thread of its own when this code runs bundled (the CLI): `--check`
 * runs the whole model on the main thread, synchronously in onnxruntime, for every frame, and a
 * heartbeat sharing that thread would hear nothing for seconds. Elsewhere (tests from source, the
 * app: no thread entry, see shared/threadEntry.ts) it beats on this thread. Times cross threads as epoch ms,
 * since each thread's performance.now() has its own origin.
 */
export function startHeartbeat(
  peers: readonly Peer[],
  tls: TlsMaterial,
  onVerdict: (v: Verdict | LinkVerdict) => void,
  lost: readonly string[],
): HeartbeatHandle {
  const inThread = (): HeartbeatHandle => {
    const hb = new Heartbeat(peers, tls, onVerdict, lost);
    hb.start();
    return hb;
  };
  const entry = threadEntry();
  if (entry === null) return inThread();
  const worker = new Worker(`import(${JSON.stringify(entry)}).then((m) => m.heartbeatThread())`, {
    eval: true,
    workerData: { peers, tls, lost },
  });
  let fallback: HeartbeatHandle | null = null;
  let token = 0;
  worker.on('message', (m: { verdict: Verdict | LinkVerdict }) => {
    const v = { ...m.verdict, at: m.verdict.at - performance.timeOrigin };
    if (v.kind === 'lost' || v.kind === 'outage') v.lastHeardAt -= performance.timeOrigin;
    onVerdict(v);
  });
  worker.on('error', () => {
    fallback ??= inThread();
  });
  worker.unref();
  const send = (m: ToWorker) => worker.postMessage(m);
  return {
    excuse: (ids, busy) => {
      if (fallback) return fallback.excuse(ids, busy);
      const t = ++token;
      send({ excuse: [...ids], token: t });
      void busy.catch(() => undefined).then(() => send({ excused: t }));
    },
    suspect: (ids) => {
      if (fallback) return fallback.suspect(ids);
      send({ suspect: [...ids] });
    },
    watch: (p) => (fallback ? fallback.watch(p) : send({ watch: p })),
    stop: () => {
      fallback?.stop();
      send({ stop: true });
      void worker.terminate();
    },
  };
}

/** The heartbeat thread's body (the bundled CLI exports it; see startHeartbeat). */
export function heartbeatThread(): void {
  const port = parentPort;
  if (!port) return;
  const { peers, tls, lost } = workerData as { peers: Peer[]; tls: TlsMaterial; lost: string[] };
  const abs = (ms: number) => ms + performance.timeOrigin;
  const hb = new Heartbeat(
    peers,
    tls,
    (v) =>
      port.postMessage({
        verdict:
          v.kind === 'lost'
            ? { ...v, at: abs(v.at), lastHeardAt: abs(v.lastHeardAt) }
            : { ...v, at: abs(v.at) },
      }),
    lost,
  );
  const busy = new Map<number, () => void>();
  port.on('message', (m: ToWorker) => {
    if ('excuse' in m) hb.excuse(m.excuse, new Promise<void>((r) => busy.set(m.token, r)));
    else if ('excused' in m) {
      busy.get(m.excused)?.();
      busy.delete(m.excused);
    } else if ('suspect' in m) hb.suspect(m.suspect);
    else if ('watch' in m) hb.watch(m.watch);
    else {
      hb.stop();
      port.close();
    }
  });
  hb.start();
}
