// The coordinator drives one run: it deploys the plan's stages (each part with its replicas) to
// the agents, feeds frames to the first stage within its credits, receives results from the last
// stage on its own endpoint (the sink), puts them back in frame order, and measures the run.
// Activations never pass through here: stages hand them to each other board to board.
import type { Board } from '../shared/board';
import {
  type Ack,
  checkTensor,
  type Deployment,
  type Frame,
  Joiner,
  type Link,
  parseRefusal,
  type Peer,
  PeerClient,
  Router,
  serve,
  type ServerHandle,
  type StageSpec,
  type Telemetry,
  type TlsMaterial,
  type WireTensor,
} from '../../remote-agent/src/protocol/index';
import {
  AppError,
  BackendCannotRunError,
  type DeviceMetrics,
  type RunMetrics,
} from '../contract/index';
import type { Logger } from '../log';
import type { AgentConnector } from '../power/agent';
import type { Clock } from '../power/clock';
import { powerLink } from './agent-power';
import type { FrameSource } from './source';
import { boardsOf, roundFrames, type RunPlan } from './deployment';
import { type MeasuredWindow, RunFigures } from './stats';

export interface CoordinatorOptions {
  runId: string;
  plan: RunPlan;
  agents: Board[];
  /** The coordinator's own identity in the farm's PKI (id = its certificate's common name). */
  identity: { id: string; tls: TlsMaterial };
  /** Address agents reach the coordinator's sink at, and where it listens. */
  sinkHost: string;
  source: FrameSource;
  frames: number;
  window: number;
  /** The coordinator's emulated link (virtual farm), so frames and results pay their airtime. */
  link?: Link | null;
  log: Logger;
  /**
   * Board failures are survived (runtime/faults.ts re-plans and calls redeploy): a board that
   * drops out does not stop the feed, and a frame whose hand-over fails waits for the new plan.
   */
  survive?: boolean;
  onMetrics?(m: RunMetrics): void;
  /** Every agent's telemetry as it comes (once a second). */
  onTelemetry?(t: Telemetry): void;
  /** Called for every result, in frame order. */
  onResult?(frameId: number, outputs: WireTensor[], latencyMs: number): void | Promise<void>;
}

export interface RunOutcome {
  sent: number;
  completed: number;
  lost: number;
  duplicated: number;
  ips: number | null;
  /** The window IPS and energy per inference are measured over; null with `shortfall` saying why. */
  window: MeasuredWindow | null;
  shortfall: string | null;
  /** When the first frame went out (performance.now() ms): the origin of the run's seconds. */
  startedAtMs: number;
  latencyMs: { p50: number; p95: number; p99: number };
  devices: DeviceSummary[];
  wallMs: number;
  stopped: boolean;
  /** Agents of the plan that disconnected during the run (the run stopped feeding frames). */
  agentsLeft: string[];
  /** Frames an emulated device computed slower than its profile (see PartTelemetry.overruns). */
  emulationOverruns: number;
}

export interface DeviceSummary {
  id: string;
  profile: string | null;
  utilisation: number;
  computeMs: number;
  bytesIn: number;
  bytesOut: number;
  emulated: boolean;
}

interface DeviceTotals {
  frames: number;
  computeMs: number;
  busyMs: number;
  bytesIn: number;
  bytesOut: number;
  wallMs: number;
  overruns: number;
}

/**
 * With `survive`, how long a frame whose hand-over failed waits for a new plan (the heartbeat
 * declares a board lost within 2 s) before it is counted lost.
 */
const HANDOVER_GRACE_MS = 3000;

/** How long close() waits for an agent to undeploy. */
const UNDEPLOY_MS = 3000;

/** How long without a single result before a run is declared stuck. */
const STALL_MS = 60_000;
/**
 * After an agent of the plan disconnects, how long frames that do not pass through it get to
 * finish before everything still in flight is counted lost.
 */
const LEFT_GRACE_MS = 3000;

/** A frame's result on its way to onResult. */
interface Result {
  frameId: number;
  outputs: WireTensor[];
  latency: number;
}

export class Coordinator {
  private sink: ServerHandle | null = null;
  private readonly clients = new Map<string, Promise<PeerClient>>();
  /** Frames sent and not yet settled (result received or lost), with their send time. */
  private readonly sentAt = new Map<number, number>();
  private received = 0;
  private readonly figures: RunFigures;
  private readonly reorder = new Map<number, Result>();
  private nextInOrder = 0;
  private deliveries: Promise<void> = Promise.resolve();
  private sent = 0;
  private lost = 0;
  private duplicated = 0;
  private stopping = false;
  private closing = false;
  /** Agents of the plan that disconnected during the run, and when the first did. */
  private readonly left: string[] = [];
  private leftAt = 0;
  private lastProgress = performance.now();
  private readonly totals = new Map<string, DeviceTotals>();
  private readonly lastDevice = new Map<string, DeviceMetrics>();
  private deployment: Deployment | null = null;
  private startedAt = 0;
  private wake: (() => void) | null = null;
  /** The plan running now: the run's own, or the last one redeploy() installed. */
  private plan: RunPlan;
  /** Every device any plan of this run used (the report covers the lost ones too). */
  private readonly everUsed = new Set<string>();
  /** Redeployments so far: deployment run ids are runId, then runId~1, runId~2, ... */
  private epoch = 0;
  private router: Router | null = null;
  private sinkJoiner: Joiner | null = null;
  /** Answers that came under a plan already replaced, dropped (their frames were sent again). */
  private staleAnswers = 0;
  /** Redeployments under way: boards refuse frames of the plan they are leaving meanwhile. */
  private redeploying = 0;

  constructor(private readonly o: CoordinatorOptions) {
    this.plan = o.plan;
    this.figures = new RunFigures(
      roundFrames(o.plan.stages.map((s) => s.parts.map((p) => p.replicas))),
    );
  }

  private get inFlight(): number {
    return this.sentAt.size;
  }

  private connect = (peer: Peer): Promise<PeerClient> => {
    let c = this.clients.get(peer.id);
    if (!c) {
      const fresh = PeerClient.connect(peer, { tls: this.o.identity.tls });
      // A closed connection is opened again on next use (a board restarted after a failure).
      fresh.then(
        (pc) =>
          pc.onClose(() => this.clients.get(peer.id) === fresh && this.clients.delete(peer.id)),
        () => this.clients.delete(peer.id),
      );
      this.clients.set(peer.id, fresh);
      c = fresh;
    }
    return c;
  };

  /** Starts the sink, checks every agent's health and deploys. */
  async deploy(): Promise<void> {
    const stages = this.plan.stages;
    this.sink = await serve(
      this.o.sinkHost,
      0,
      {
        forward: async (f) => {
          this.receive(f);
          return { frameId: f.frameId };
        },
      },
      {
        tls: this.o.identity.tls,
        onPeerError: (e) => this.o.log.warn({ err: e.message }, 'sink peer'),
      },
    );
    const used = boardsOf(this.plan);
    const agents = this.o.agents.filter((a) => used.has(a.id));
    await Promise.all(
      agents.map(async (a) => {
        const c = await this.connect(a).catch((err: Error) => {
          throw new AppError(
            'AGENT_UNREACHABLE',
            `cannot reach agent ${a.id} at ${a.host}:${a.port}: ${err.message}`,
          );
        });
        c.onClose(() => this.agentLeft(a.id));
        const h = await c.ping(Date.now());
        if (h.agentId !== a.id)
          throw new AppError(
            'AGENT_MISMATCH',
            `agent at ${a.host}:${a.port} is ${h.agentId}, not ${a.id}`,
          );
      }),
    );
    await this.install(this.plan, stages, this.o.runId);
  }

  /** Deploys a plan's stages to its agents under `runId` and makes it the one frames go to. */
  private async install(plan: RunPlan, stages: StageSpec[], runId: string): Promise<void> {
    const used = boardsOf(plan);
    const agents = this.o.agents.filter((a) => used.has(a.id));
    const sink = this.sink as ServerHandle;
    const d: Deployment = {
      runId,
      stages,
      sink: { id: this.o.identity.id, host: this.o.sinkHost, port: sink.port },
      window: this.o.window,
      holdMs: plan.holdMs ?? {},
      expectMs: plan.expectMs ?? {},
    };
    await Promise.all(
      agents.map(async (a) => {
        try {
          await (await this.connect(a)).deploy(d);
        } catch (err) {
          const refusal = parseRefusal((err as Error).message);
          if (refusal) throw new BackendCannotRunError(a.id, refusal);
          throw new AppError(
            'DEPLOY_FAILED',
            `deploy to ${a.id} failed: ${(err as Error).message}`,
          );
        }
      }),
    );
    const last = stages[stages.length - 1] as StageSpec;
    this.sinkJoiner = last.parts.length > 1 ? new Joiner(last, 1 << 16) : null;
    this.deployment = d;
    this.plan = plan;
    for (const id of used) this.everUsed.add(id);
    this.router = new Router(d, this.connect, this.o.link ?? null);
  }

  /**
   * A board that joined the farm mid-run (runtime/join.ts): plans redeployed from now on may
   * name it. The agents list is the run's own (run.ts hands it over), so it grows in place.
   */
  addAgent(a: Board): void {
    if (!this.o.agents.some((x) => x.id === a.id)) this.o.agents.push(a);
  }

  /**
   * Replaces the running plan (runtime/faults.ts, once a board failed, slowed or came back):
   * deploys it under the next epoch of the run id (agents drop the old plan at once), then sends
   * every frame not yet answered again. Answers still coming under the old plan are dropped, so
   * none is counted twice. Returns the frames sent again; `onInstalled` is called once every
   * board has the new plan, before the frames go.
   */
  async redeploy(plan: RunPlan, onInstalled?: () => void): Promise<number> {
    const previous = this.deployment;
    const stages = plan.stages;
    this.redeploying++;
    try {
      await this.install(plan, stages, `${this.o.runId}~${this.epoch + 1}`);
    } finally {
      this.redeploying--;
    }
    this.epoch++;
    onInstalled?.();
    // Boards the new plan leaves out drop the old one too (a lost board may never answer).
    const kept = boardsOf(plan);
    for (const id of previous
      ? new Set(previous.stages.flatMap((s) => s.parts.flatMap((p) => p.replicas.map((r) => r.id))))
      : []) {
      const a = this.o.agents.find((x) => x.id === id);
      if (a && !kept.has(id) && previous)
        void this.connect(a)
          .then((c) => c.undeploy(previous.runId))
          .catch(() => undefined);
    }
    const again = [...this.sentAt.keys()].sort((x, y) => x - y);
    for (const id of again) if (this.sentAt.has(id)) await this.sendFrame(id);
    this.wake?.();
    return again.length;
  }

  /** Hands one frame to the running plan's first stage. */
  private async sendFrame(id: number): Promise<void> {
    const epoch = this.epoch;
    const router = this.router as Router;
    const input = await this.o.source.frame(id);
    const runId = (this.deployment as Deployment).runId;
    let acked: Promise<Ack[]>;
    try {
      acked = (await router.send(id, -1, 0, [], [input])).acked;
    } catch (err) {
      acked = Promise.reject(err as Error);
    }
    // A one-stage plan answers with the results: each part's answer is what it would have sent
    // the sink, so it goes the same way (the sink's joiner, order, duplicates, stale plans).
    if (router.answersResults)
      acked = acked.then((acks) => {
        acks.forEach((a, part) =>
          this.receive({
            runId,
            frameId: id,
            stage: 1,
            part: 0,
            fromPart: part,
            consumers: [],
            tensors: a.tensors ?? [],
          }),
        );
        return acks;
      });
    acked.catch((err: Error) => {
      if (!this.o.survive) return this.markLost(id, err.message);
      // The plan changed meanwhile: the frame was sent again under the new one.
      if (epoch !== this.epoch) return;
      // A board failed: the new plan (heartbeat verdict within 2 s) sends the frame again; a
      // redeployment under way sends it again when done, however long the boards take to load.
      const judge = () => {
        if (epoch !== this.epoch) return;
        if (this.redeploying > 0) setTimeout(judge, HANDOVER_GRACE_MS).unref();
        else this.markLost(id, err.message);
      };
      setTimeout(judge, HANDOVER_GRACE_MS).unref();
    });
  }

  private receive(f: Frame): void {
    if (f.runId !== this.deployment?.runId) {
      if (f.runId.split('~')[0] === this.o.runId) {
        this.staleAnswers++;
        return;
      }
      throw new Error(`result for run ${f.runId}, this is ${this.o.runId}`);
    }
    for (const t of f.tensors) checkTensor(t);
    const outputs = this.sinkJoiner ? this.sinkJoiner.add(f) : f.tensors;
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
    this.received++;
    this.lastProgress = now;
    this.figures.add(now - sentAt, now);
    this.deliverInOrder({ frameId: f.frameId, outputs, latency: now - sentAt });
    this.wake?.();
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
      const cb = this.o.onResult;
      if (cb) this.deliveries = this.deliveries.then(() => cb(id, outputs, latency));
    }
  }

  private readonly lostIds = new Set<number>();

  private markLost(frameId: number, why: string): void {
    if (!this.sentAt.has(frameId)) return;
    this.sentAt.delete(frameId);
    this.lostIds.add(frameId);
    this.lost++;
    this.o.log.warn({ frameId, why }, 'frame lost');
    this.deliverInOrder();
    this.wake?.();
  }

  /** Frames whose result came back (delivered in order or waiting for an earlier one). */
  get completed(): number {
    return this.received;
  }

  /** A board died or dropped off: the plan is broken, so no more frames go in. */
  private agentLeft(id: string): void {
    // Surviving runs leave the verdict to the heartbeat (the board may come back).
    if (this.closing || this.o.survive || this.left.includes(id)) return;
    this.left.push(id);
    if (this.leftAt === 0) this.leftAt = performance.now();
    this.o.log.warn({ agent: id }, 'agent left the run');
    this.wake?.();
  }

  /** Streams the frames, polls telemetry every second, returns when every frame is settled. */
  async run(): Promise<RunOutcome> {
    if (!this.deployment) throw new Error('deploy() first');
    // Every queue in the farm is bounded by the frames admitted here (for the plan running now).
    const admit = () =>
      (this.deployment as Deployment).window *
      (this.deployment as Deployment).stages.reduce(
        (a, s) => a + s.parts.reduce((b, p) => b + p.replicas.length, 0),
        0,
      );
    this.startedAt = performance.now();
    this.lastProgress = this.startedAt;
    const timer = setInterval(() => void this.poll(), 1000);
    // The loop below also wakes on its own four times a second, to judge stalls and departures.
    const tick = setInterval(() => this.wake?.(), 250);
    try {
      const feeding = () => !this.stopping && this.left.length === 0;
      for (let id = 0; id < this.o.frames && feeding(); id++) {
        while (this.inFlight >= admit() && feeding()) await this.sleepUntilWoken();
        if (!feeding()) break;
        await this.o.source.ready?.();
        if (!feeding()) break;
        this.sentAt.set(id, performance.now());
        this.sent++;
        await this.sendFrame(id);
      }
      while (this.inFlight > 0) {
        const now = performance.now();
        if (now - this.lastProgress > STALL_MS) {
          for (const id of [...this.sentAt.keys()])
            this.markLost(id, `no result in ${STALL_MS / 1000} s`);
          break;
        }
        if (this.leftAt > 0 && now - this.leftAt > LEFT_GRACE_MS) {
          for (const id of [...this.sentAt.keys()])
            this.markLost(id, `${this.left.join(', ')} left the run`);
          break;
        }
        await this.sleepUntilWoken();
      }
      await this.deliveries;
    } finally {
      clearInterval(timer);
      clearInterval(tick);
    }
    await this.poll();
    const wallMs = performance.now() - this.startedAt;
    return {
      sent: this.sent,
      completed: this.completed,
      lost: this.lost,
      duplicated: this.duplicated,
      ips: this.figures.ips(),
      window: this.figures.window(),
      shortfall: this.figures.shortfall(),
      startedAtMs: this.startedAt,
      latencyMs: this.figures.latency(),
      devices: this.deviceSummaries(),
      wallMs,
      stopped: this.stopping,
      agentsLeft: [...this.left],
      emulationOverruns: [...this.totals.values()].reduce((a, t) => a + t.overruns, 0),
    };
  }

  /**
   * Until the next result, loss or departure, or the loop's next tick. One frame waits here
   * for every frame sent, so it costs no timer of its own.
   */
  private sleepUntilWoken(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }

  /** Frames completed in (from, to] (performance.now() ms), over the last few seconds. */
  completedBetween(from: number, to: number): number {
    return this.figures.completedBetween(from, to);
  }

  /** The measured window so far (performance.now() ms); null until it holds two rounds. */
  measuredWindow(): MeasuredWindow | null {
    return this.figures.window();
  }

  /** When the first frame went out (performance.now() ms); 0 before run(). */
  get startedAtMs(): number {
    return this.startedAt;
  }

  /** Answers dropped because they came under a plan already replaced. */
  get stale(): number {
    return this.staleAnswers;
  }

  /** Telemetry from every agent; emits one RunMetrics. */
  private async poll(): Promise<void> {
    const used = boardsOf(this.plan);
    const agents = this.o.agents.filter((a) => used.has(a.id));
    const answers = await Promise.all(
      agents.map(async (a) => {
        try {
          return await (await this.connect(a)).telemetry();
        } catch (err) {
          this.o.log.warn({ agent: a.id, err: (err as Error).message }, 'telemetry');
          return null;
        }
      }),
    );
    const devices: DeviceMetrics[] = [];
    answers.forEach((t, i) => {
      const a = agents[i] as Board;
      if (t) this.o.onTelemetry?.(t);
      if (t) devices.push(this.account(a, t));
      else {
        const prev = this.lastDevice.get(a.id);
        if (prev) devices.push(prev);
      }
    });
    const recent = this.figures.recentLatency50And95();
    const m: RunMetrics = {
      runId: this.o.runId,
      t: (performance.now() - this.startedAt) / 1000,
      sent: this.sent,
      completed: this.completed,
      dropped: this.lost,
      ips: this.figures.ips() ?? 0,
      latencyP50Ms: recent.p50,
      latencyP95Ms: recent.p95,
      devices,
    };
    this.o.onMetrics?.(m);
  }

  private account(a: Board, t: Telemetry): DeviceMetrics {
    const tot: DeviceTotals = this.totals.get(a.id) ?? {
      frames: 0,
      computeMs: 0,
      busyMs: 0,
      bytesIn: 0,
      bytesOut: 0,
      wallMs: 0,
      overruns: 0,
    };
    let frames = 0;
    let computeMs = 0;
    let busyMs = 0;
    for (const p of t.parts) {
      frames += p.frames;
      computeMs += p.computeMs;
      busyMs += p.busyMs;
      tot.bytesIn += p.bytesIn;
      tot.bytesOut += p.bytesOut;
      tot.overruns += p.overruns;
    }
    tot.frames += frames;
    tot.computeMs += computeMs;
    tot.busyMs += busyMs;
    tot.wallMs += t.intervalMs;
    this.totals.set(a.id, tot);
    const m: DeviceMetrics = {
      device: a.id,
      fps: t.intervalMs > 0 ? (frames * 1000) / t.intervalMs : 0,
      utilisation: t.intervalMs > 0 ? Math.min(1, busyMs / t.intervalMs) : 0,
      // On an emulated board the time that counts is the profile's (busy), not this machine's.
      computeMs: frames > 0 ? (t.emulated ? busyMs : computeMs) / frames : 0,
      emulated: t.emulated,
    };
    this.lastDevice.set(a.id, m);
    return m;
  }

  private deviceSummaries(): DeviceSummary[] {
    return this.o.agents
      .filter((a) => this.everUsed.has(a.id))
      .map((a) => {
        const t = this.totals.get(a.id);
        return {
          id: a.id,
          profile: a.profile,
          utilisation: t && t.wallMs > 0 ? Math.min(1, t.busyMs / t.wallMs) : 0,
          computeMs:
            t && t.frames > 0 ? (a.profile !== null ? t.busyMs : t.computeMs) / t.frames : 0,
          bytesIn: t?.bytesIn ?? 0,
          bytesOut: t?.bytesOut ?? 0,
          emulated: a.profile !== null,
        };
      });
  }

  /**
   * How a power session's agent:// meters reach a device's agent: `powerRead` over the run's own
   * connection, with the agent clock's offset from `clock` measured by one ping (half the round
   * trip on each side).
   */
  powerConnector(clock: Clock): AgentConnector {
    return async (device) => {
      const a = this.o.agents.find((x) => x.id === device);
      if (!a) throw new AppError('DEVICE_NOT_IN_FARM', `no device "${device}" in this run's farm`);
      return powerLink(await this.connect(a), clock);
    };
  }

  /** Stops feeding frames; those already sent are still collected. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Undeploys and closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    const clients = await Promise.allSettled([...this.clients.values()]);
    await Promise.allSettled(
      clients.map(async (c) => {
        if (c.status !== 'fulfilled') return;
        // A board cut off mid-run never answers: its undeploy is not waited for past UNDEPLOY_MS.
        const runId = this.deployment?.runId ?? this.o.runId;
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          c.value.undeploy(runId).catch(() => undefined),
          new Promise((r) => (t = setTimeout(r, UNDEPLOY_MS))),
        ]);
        clearTimeout(t);
        c.value.close();
      }),
    );
    this.clients.clear();
    await this.sink?.close();
  }
}
