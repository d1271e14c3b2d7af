// The coordinator drives one run: it deploys the plan's stages (each part with its replicas) to
// the agents (deploy.ts), feeds frames to the first stage within its credits (dispatch.ts),
// receives results from the last stage on its own endpoint, the sink, and puts them back in frame
// order (collect.ts), and measures the run (deviceLedger.ts, stats.ts). Activations never pass
// through here: stages hand them to each other board to board.
import {
  type Deployment,
  type Link,
  serve,
  type ServerHandle,
  type StageSpec,
  type Telemetry,
  type TlsMaterial,
} from '../../remote-agent/src/protocol/index';
import { AppError, type DeviceMetrics, type FaultPhase, type RunMetrics } from '../contract/index';
import type { Logger } from '../log';
import type { AgentConnector } from '../power/agent';
import type { Clock } from '../power/clock';
import { powerLink } from './agent-power';
import { Collector, type OnResult } from './collect';
import { Connections } from './connections';
import { agentsOf, deployTo, reachBoards, undeployLeftOut } from './deploy';
import { DeviceLedger } from './deviceLedger';
import { Dispatcher } from './dispatch';
import type { FrameSource } from './source';
import type { Board } from '../shared/board';
import { boardsOf, roundFrames, type RunPlan } from './deployment';
import type { RunOutcome, RunPhase } from './runTypes';

// What the coordinator's users share with it, kept where other rooms already import them from.
export { RUN_PHASES } from './runTypes';
export type { BoardSummary, RunOutcome, RunPhase } from './runTypes';
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
  /** The run reached a moment: the connection and deployment steps wait for what it does. */
  onPhase?(phase: RunPhase): Promise<void>;
  onMetrics?(m: RunMetrics): void;
  /** Every agent's telemetry as it comes (once a second). */
  onTelemetry?(t: Telemetry): void;
  /** Called for every result, in frame order. */
  onResult?: OnResult;
}

/** How long without a single result before a run is declared stuck. */
const STALL_MS = 60_000;
/**
 * After an agent of the plan disconnects, how long frames that do not pass through it get to
 * finish before everything still in flight is counted lost.
 */
const LEFT_GRACE_MS = 3000;

export class Coordinator {
  private sink: ServerHandle | null = null;
  private readonly connections: Connections;
  private readonly figures: RunFigures;
  private readonly collector: Collector;
  private readonly dispatcher: Dispatcher;
  private readonly ledger = new DeviceLedger();
  private stopping = false;
  private closing = false;
  /** Agents of the plan that disconnected during the run, and when the first did. */
  private readonly left: string[] = [];
  private leftAt = 0;
  private deployment: Deployment | null = null;
  private startedAt = 0;
  private wake: (() => void) | null = null;
  /** The plan running now: the run's own, or the last one redeploy() installed. */
  private plan: RunPlan;
  /** Every device any plan of this run used (the report covers the lost ones too). */
  private readonly everUsed = new Set<string>();
  /** Redeployments so far: deployment run ids are runId, then runId~1, runId~2, ... */
  private epoch = 0;
  /** Deployments handed to boards since the last redeploy (the running one, failed attempts). */
  private readonly replaced: Deployment[] = [];
  private stage: FaultPhase = 'connect';
  /** Settles when a pause ends (see pause); null while not paused. */
  private paused: Promise<void> | null = null;
  private resumePaused: (() => void) | null = null;
  /** Why the run was ended early (see abort). */
  private aborted: Error | null = null;

  constructor(private readonly o: CoordinatorOptions) {
    this.plan = o.plan;
    this.figures = new RunFigures(
      roundFrames(o.plan.stages.map((st) => st.parts.map((p) => p.replicas))),
    );
    this.connections = new Connections(o.identity.tls);
    this.collector = new Collector(
      o.runId,
      this.figures,
      o.log,
      o.onResult,
      () => this.wake?.(),
      () => void o.onPhase?.('first-result'),
    );
    this.dispatcher = new Dispatcher(
      o.source,
      this.collector,
      this.connections.connect,
      o.link ?? null,
      o.survive ?? false,
    );
  }

  /**
   * Starts the sink, checks every agent's health and deploys. With `survive`, boards lost on the
   * way fail it with a BoardsLostError naming them; the sink stays, and redeploy() installs the
   * plan made without them.
   */
  async deploy(): Promise<void> {
    const stages = this.plan.stages;
    this.sink = await serve(
      this.o.sinkHost,
      0,
      {
        forward: async (f) => {
          this.collector.receive(f);
          return { frameId: f.frameId };
        },
      },
      {
        tls: this.o.identity.tls,
        onPeerError: (e) => this.o.log.warn({ err: e.message }, 'sink peer'),
      },
    );
    await this.o.onPhase?.('connect');
    await reachBoards(
      this.connections.connect,
      agentsOf(this.plan, this.o.agents),
      this.o.survive ?? false,
      (id) => this.agentLeft(id),
    );
    this.stage = 'deploy';
    await this.install(this.plan, stages, this.o.runId, 'deploy');
  }

  /** Deploys a plan's stages to its agents under `runId` and makes it the one frames go to. */
  private async install(
    plan: RunPlan,
    stages: StageSpec[],
    runId: string,
    phase: RunPhase,
  ): Promise<void> {
    const sink = this.sink as ServerHandle;
    const d: Deployment = {
      runId,
      stages,
      sink: { id: this.o.identity.id, host: this.o.sinkHost, port: sink.port },
      window: this.o.window,
      holdMs: plan.holdMs ?? {},
      expectMs: plan.expectMs ?? {},
    };
    // Boards that took it keep it until a later plan leaves them out (redeploy undeploys them).
    this.replaced.push(d);
    // A redeployment is often done in a few ms (boards keep the sessions of parts they had), so
    // faults at its moment land as it starts; the first deployment's loads take seconds, so
    // faults at its moment land while the boards load their parts.
    if (phase === 'replan') await this.o.onPhase?.(phase);
    const deploying = deployTo(
      this.connections.connect,
      agentsOf(plan, this.o.agents),
      d,
      this.o.survive ?? false,
    );
    await Promise.all([deploying, phase === 'deploy' ? this.o.onPhase?.(phase) : undefined]);
    this.collector.follow(runId, stages[stages.length - 1] as StageSpec);
    this.deployment = d;
    this.plan = plan;
    for (const id of boardsOf(plan)) this.everUsed.add(id);
    this.dispatcher.use(d);
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
    const stages = plan.stages;
    this.epoch++;
    await this.changing(() =>
      this.install(plan, stages, `${this.o.runId}~${this.epoch}`, 'replan'),
    );
    onInstalled?.();
    const kept = boardsOf(plan);
    for (const d of this.replaced.splice(0))
      if (d !== this.deployment) undeployLeftOut(this.connections.connect, this.o.agents, d, kept);
    const again = this.collector.open();
    for (const id of again) if (this.collector.isOpen(id)) await this.dispatcher.send(id);
    this.wake?.();
    return again.length;
  }

  /**
   * Runs `work`, a change of plan under way (a redeployment, or all of a recovery: re-plan and
   * redeployments): a frame whose hand-over fails meanwhile waits for the plan it brings.
   */
  async changing<T>(work: () => Promise<T>): Promise<T> {
    this.dispatcher.redeploying++;
    try {
      return await work();
    } finally {
      this.dispatcher.redeploying--;
    }
  }

  /**
   * Holds the feed while this machine's link is down (every board silent at once): frames sent
   * stay in flight, kept, and none is judged lost, until resume().
   */
  pause(): void {
    if (this.paused) return;
    let resume = () => undefined as void;
    this.paused = new Promise<void>((r) => (resume = r));
    void this.changing(() => this.paused as Promise<void>);
    this.resumePaused = () => {
      this.paused = null;
      this.collector.lastProgress = performance.now();
      resume();
      this.wake?.();
    };
  }

  resume(): void {
    this.resumePaused?.();
    this.resumePaused = null;
  }

  /**
   * Ends the run with `err` (nothing left can hold the model): no more frames go, and run() throws
   * it once the frames already sent are settled or given up.
   */
  abort(err: Error): void {
    this.aborted ??= err;
    this.resume();
    this.stop();
  }

  /** Where the run is: connecting, deploying its first plan, running, or draining its last frames. */
  get phase(): FaultPhase {
    return this.stage;
  }

  /** Whether a plan is deployed (after a failed first deployment, not until a redeploy). */
  get deployed(): boolean {
    return this.deployment !== null;
  }

  /** Frames sent and not yet settled. */
  get inFlight(): number {
    return this.collector.inFlight;
  }

  /** Frames whose result came back (delivered in order or waiting for an earlier one). */
  get completed(): number {
    return this.collector.received;
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
    const c = this.collector;
    // Every queue in the farm is bounded by the frames admitted here (for the plan running now).
    const admit = () =>
      (this.deployment as Deployment).window *
      (this.deployment as Deployment).stages.reduce(
        (a, s) => a + s.parts.reduce((b, p) => b + p.replicas.length, 0),
        0,
      );
    this.startedAt = performance.now();
    this.stage = 'run';
    c.lastProgress = this.startedAt;
    const timer = setInterval(() => void this.poll(), 1000);
    // The loop below also wakes on its own four times a second, to judge stalls and departures.
    const tick = setInterval(() => this.wake?.(), 250);
    try {
      const feeding = () => !this.stopping && this.left.length === 0;
      for (let id = 0; id < this.o.frames && feeding(); id++) {
        while ((c.inFlight >= admit() || this.paused) && feeding()) await this.sleepUntilWoken();
        if (!feeding()) break;
        await this.o.source.ready?.();
        if (!feeding()) break;
        c.dispatched(id);
        await this.dispatcher.send(id);
      }
      this.stage = 'drain';
      if (!this.aborted) void this.o.onPhase?.('drain');
      while (c.inFlight > 0) {
        const now = performance.now();
        if (this.aborted) {
          c.loseAll(this.aborted.message);
          break;
        }
        if (!this.paused && now - c.lastProgress > STALL_MS) {
          c.loseAll(`no result in ${STALL_MS / 1000} s`);
          break;
        }
        if (this.leftAt > 0 && now - this.leftAt > LEFT_GRACE_MS) {
          c.loseAll(`${this.left.join(', ')} left the run`);
          break;
        }
        await this.sleepUntilWoken();
      }
      await c.delivered();
    } finally {
      clearInterval(timer);
      clearInterval(tick);
    }
    if (this.aborted) throw this.aborted;
    await this.poll();
    const wallMs = performance.now() - this.startedAt;
    return {
      sent: c.sent,
      completed: this.completed,
      lost: c.lost,
      duplicated: c.duplicated,
      ips: this.figures.ips(),
      window: this.figures.window(),
      shortfall: this.figures.shortfall(),
      startedAtMs: this.startedAt,
      latencyMs: this.figures.latency(),
      devices: this.ledger.summaries(this.o.agents.filter((a) => this.everUsed.has(a.id))),
      wallMs,
      stopped: this.stopping,
      agentsLeft: [...this.left],
      emulationOverruns: this.ledger.overruns(),
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
    return this.collector.stale;
  }

  /** Telemetry from every agent; emits one RunMetrics. */
  private async poll(): Promise<void> {
    const agents = agentsOf(this.plan, this.o.agents);
    const answers = await Promise.all(
      agents.map(async (a) => {
        try {
          return await (await this.connections.connect(a)).telemetry();
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
      if (t) devices.push(this.ledger.account(a, t));
      else {
        const prev = this.ledger.last(a.id);
        if (prev) devices.push(prev);
      }
    });
    const recent = this.figures.recentLatency50And95();
    const m: RunMetrics = {
      runId: this.o.runId,
      t: (performance.now() - this.startedAt) / 1000,
      sent: this.collector.sent,
      completed: this.completed,
      dropped: this.collector.lost,
      ips: this.figures.ips() ?? 0,
      latencyP50Ms: recent.p50,
      latencyP95Ms: recent.p95,
      devices,
    };
    this.o.onMetrics?.(m);
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
      return powerLink(await this.connections.connect(a), clock);
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
    await this.connections.closeAll(this.deployment?.runId ?? this.o.runId);
    await this.sink?.close();
  }
}
