// The agent: the program on every board. It serves the wire protocol, loads the parts a run
// deploys to it (checking each file's sha256, one ORT session per part), computes frames, sends
// activations straight to the next stage's agent, and reports telemetry and health.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Backend } from './backend';
import { computeSession } from './compute';
import type { AgentConfig } from './config';
import { PartWorker } from './part';
import { PeerClient, serve, type ServerHandle, type TlsMaterial } from './protocol/endpoint';
import { Router } from './protocol/route';
import { refusalMessage, refusalOf } from './protocol/refusal';
import {
  PROTOCOL_VERSION,
  partName,
  type Deployed,
  type Deployment,
  type Frame,
  type Health,
  type Peer,
  type Readings,
  type Telemetry,
} from './protocol/schema';
import { checkTensor } from './protocol/tensor';
import { mediumLink, portLink, type Link } from './protocol/medium';
import { availableBytes, checkPartMemory, residentBytes } from './memory';
import { Board, CpuMeter } from './telemetry';
import { Turns } from './turns';

export interface AgentLog {
  info(msg: string): void;
  warn(msg: string): void;
}

const FILE_NAME = /^[A-Za-z0-9._-]+\.onnx$/;

interface Live {
  deployment: Deployment;
  router: Router;
  workers: Map<string, PartWorker>;
  peers: Map<string, Promise<PeerClient>>;
}

export class Agent {
  private live: Live | null = null;
  private server: ServerHandle | null = null;
  private readonly started = performance.now();
  private readonly cpu = new CpuMeter();
  /** CPU for the readings message, apart so reading it leaves telemetry's interval whole. */
  private readonly readingsCpu = new CpuMeter();
  private lastTelemetry = performance.now();
  private backend: Backend | null = null;
  private link: Link | null = null;
  private readonly board = new Board();
  /** Emulated thermal throttling set by the `throttle` message (chaos tests and demos). */
  private slowdown = 1;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly tls: TlsMaterial,
    private readonly log: AgentLog,
  ) {}

  async start(): Promise<number> {
    this.backend = await Backend.load(this.cfg.backend, this.cfg.threads);
    if (this.cfg.medium) {
      const i = this.cfg.medium.lastIndexOf(':');
      this.link = await mediumLink(
        this.cfg.medium.slice(0, i),
        Number(this.cfg.medium.slice(i + 1)),
      );
    } else if (this.cfg.linkMbps) {
      this.link = portLink(this.cfg.linkMbps);
    }
    this.server = await serve(
      this.cfg.host,
      this.cfg.port,
      {
        ping: async (nonce) => this.health(nonce),
        deploy: (d) => this.deploy(d),
        forward: (f) => this.forward(f),
        telemetry: () => this.telemetry(),
        readings: () => this.readings(),
        powerRead: () => this.board.powerReading(),
        throttle: async (factor) => {
          if (!(factor >= 1 && factor <= 1000)) throw new Error('throttle factor must be 1..1000');
          this.slowdown = factor;
          for (const w of this.live?.workers.values() ?? []) w.throttle(factor);
          this.log.info(`throttled: ${factor}x slower`);
          return null;
        },
        undeploy: async (runId) => {
          if (this.live?.deployment.runId === runId) await this.undeploy();
          return null;
        },
      },
      {
        tls: this.tls,
        maxMessageBytes: this.cfg.maxMessageBytes,
        onPeerError: (err) => this.log.warn(`peer: ${err.message}`),
      },
    );
    return this.server.port;
  }

  private health(nonce: number): Health {
    return {
      agentId: this.cfg.id,
      protocolVersion: PROTOCOL_VERSION,
      backend: this.cfg.backend,
      profile: this.cfg.profile,
      runId: this.live?.deployment.runId ?? null,
      uptimeMs: performance.now() - this.started,
      now: performance.now(),
      nonce,
      slowdown: this.slowdown,
    };
  }

  /** A part's session; a part this backend cannot run is refused naming the operator. */
  private async load(
    name: string,
    part: { file: string; sha256: string },
    d: Deployment,
  ): Promise<PartWorker['session']> {
    const model = await this.readPart(name, part.file, part.sha256);
    try {
      return await computeSession(
        this.backend as Backend,
        { backend: this.cfg.backend, threads: this.cfg.threads, model },
        d.expectMs?.[`${this.cfg.id}/${name}`],
      );
    } catch (err) {
      throw new Error(refusalMessage(refusalOf(name, this.cfg.backend, err)));
    }
  }

  /**
   * Reads a part file and refuses it unless its sha256 is the one the run expects, and, before a
   * byte of it is read, unless the board's memory budget can hold it (`name` names the part).
   */
  private async readPart(name: string, file: string, sha256: string): Promise<Uint8Array> {
    if (!FILE_NAME.test(file)) throw new Error(`"${file}" is not a plain .onnx file name`);
    const path = join(this.cfg.partsDir, file);
    const missing = () =>
      new Error(`${this.cfg.id} has no part file ${file} in ${this.cfg.partsDir}; push it first`);
    const size = await stat(path).then(
      (s) => s.size,
      () => {
        throw missing();
      },
    );
    const memory = await checkPartMemory(size, this.cfg.memoryBudgetBytes);
    if (!memory.fits)
      throw new Error(
        `cannot load part ${name}: it needs ${memory.needBytes} bytes more than the ${memory.heldBytes} the agent holds, over the board's memory budget of ${memory.budgetBytes} bytes; plan the model over more boards or give this one a smaller part`,
      );
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      throw missing();
    }
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) {
      throw new Error(
        `${this.cfg.id}: ${file} has sha256 ${got.slice(0, 12)}…, the run expects ${sha256.slice(0, 12)}…; push the run's partitions again`,
      );
    }
    return bytes;
  }

  private async deploy(d: Deployment): Promise<Deployed> {
    const t0 = performance.now();
    if (d.window < 1) throw new Error('deployment window must be at least 1');
    // A new plan for the same run (a board was lost) replaces the old one at once: waiting for
    // the old one's frames could mean waiting for the lost board forever, and the coordinator
    // sends every unfinished frame again anyway.
    // Sessions of part files the new plan runs here too are kept: loading one blocks this
    // process for a while, and a quick change is the point.
    const reuse = new Map<string, PartWorker['session']>();
    if (this.live?.deployment.runId.split('~')[0] === d.runId.split('~')[0]) {
      const wanted = new Set(
        d.stages.flatMap((st) =>
          st.parts
            .filter((pt) => pt.replicas.some((r) => r.id === this.cfg.id))
            .map((pt) => pt.sha256),
        ),
      );
      this.abandon((sha, session) => {
        if (!wanted.has(sha) || reuse.has(sha)) return false;
        reuse.set(sha, session);
        return true;
      });
    } else if (this.live) await this.undeploy();
    const peers = new Map<string, Promise<PeerClient>>();
    const connect = (peer: Peer): Promise<PeerClient> => {
      let c = peers.get(peer.id);
      if (!c) {
        c = PeerClient.connect(peer, { tls: this.tls, maxMessageBytes: this.cfg.maxMessageBytes });
        // A failed connection is retried on the next frame rather than cached forever.
        c.catch(() => peers.delete(peer.id));
        peers.set(peer.id, c);
      }
      return c;
    };
    const router = new Router(d, connect, this.link, this.cfg.id);
    const workers = new Map<string, PartWorker>();
    // A fresh set of turns: frames of an abandoned plan may still be finishing theirs.
    const turns = new Turns();
    try {
      for (const [s, stage] of d.stages.entries()) {
        for (const [p, part] of stage.parts.entries()) {
          if (!part.replicas.some((r) => r.id === this.cfg.id)) continue;
          const name = partName(stage.id, p);
          const session = reuse.get(part.sha256) ?? (await this.load(name, part, d));
          reuse.delete(part.sha256);
          const previous = s > 0 ? (d.stages[s - 1] ?? null) : null;
          // A half-joined frame can only wait while the coordinator lets frames in; this bound
          // is far above that and catches a part lost upstream.
          const joinLimit =
            64 *
            d.window *
            Math.max(
              1,
              d.stages.reduce(
                (a, st) => a + st.parts.reduce((b, pt) => b + pt.replicas.length, 0),
                0,
              ),
            );
          const worker = new PartWorker(
            name,
            s,
            p,
            session,
            router,
            previous,
            d.holdMs[`${this.cfg.id}/${name}`] ?? 0,
            turns,
            joinLimit,
            (frameId, err) => this.log.warn(`${name} frame ${frameId}: ${err.message}`),
          );
          worker.throttle(this.slowdown);
          workers.set(`${s}/${p}`, worker);
        }
      }
    } catch (err) {
      await Promise.allSettled([...workers.values()].map((w) => w.stop()));
      throw err;
    } finally {
      // Kept sessions the new plan did not take after all.
      for (const session of reuse.values()) void session.release().catch(() => undefined);
    }
    if (workers.size === 0) throw new Error(`the deployment gives ${this.cfg.id} no part to run`);
    this.live = { deployment: d, router, workers, peers };
    // Telemetry intervals count from here: loading parts is not idle time of the run.
    this.lastTelemetry = performance.now();
    this.log.info(
      `deployed run ${d.runId}: ${[...workers.values()].map((w) => w.name).join(', ')}`,
    );
    return {
      agentId: this.cfg.id,
      parts: [...workers.values()].map((w) => w.name),
      backend: this.cfg.backend,
      loadMs: performance.now() - t0,
    };
  }

  private async forward(f: Frame) {
    const live = this.live;
    if (!live || live.deployment.runId !== f.runId) {
      throw new Error(`${this.cfg.id} runs no run "${f.runId}"`);
    }
    const worker = live.workers.get(`${f.stage}/${f.part}`);
    if (!worker) throw new Error(`${this.cfg.id} does not run stage ${f.stage} part ${f.part}`);
    for (const t of f.tensors) checkTensor(t);
    return worker.submit(f);
  }

  /** The board's state, its CPU share measured by `cpu` (each message keeps its own interval). */
  private async readings(cpu = this.readingsCpu): Promise<Readings> {
    return {
      agentId: this.cfg.id,
      cpuPercent: cpu.sample(),
      rssBytes: await residentBytes(),
      availableBytes: await availableBytes(),
      ...(await this.board.read()),
      emulated: this.cfg.profile !== null,
    };
  }

  private async telemetry(): Promise<Telemetry> {
    const now = performance.now();
    const interval = now - this.lastTelemetry;
    this.lastTelemetry = now;
    const parts = this.live ? [...this.live.workers.values()].map((w) => w.take()) : [];
    return { ...(await this.readings(this.cpu)), at: now, intervalMs: interval, parts };
  }

  /** Drops the live deployment at once; `keep` says which sessions (by part sha256) live on. */
  private abandon(keep: (sha256: string, session: PartWorker['session']) => boolean): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    live.router.credits.close();
    for (const [key, w] of live.workers) {
      const [s, p] = key.split('/').map(Number) as [number, number];
      const sha = live.deployment.stages[s]?.parts[p]?.sha256 ?? '';
      w.abandon(keep(sha, w.session));
    }
    for (const c of live.peers.values())
      void c.then(
        (pc) => pc.close(),
        () => undefined,
      );
    this.log.info(`replaced run ${live.deployment.runId}`);
  }

  private async undeploy(): Promise<void> {
    const live = this.live;
    if (!live) return;
    // Frames arriving from now on are refused (the run is no longer here); taken ones finish.
    this.live = null;
    await Promise.allSettled([...live.workers.values()].map((w) => w.stop()));
    // Results already handed on must reach the next stage before its connection closes.
    await live.router.drained();
    for (const c of live.peers.values())
      void c.then(
        (pc) => pc.close(),
        () => undefined,
      );
    this.log.info(`undeployed run ${live.deployment.runId}`);
  }

  /** Graceful shutdown: finish the frames already taken, then close. */
  async stop(): Promise<void> {
    await this.undeploy();
    await this.server?.close();
    this.link?.close();
  }
}
