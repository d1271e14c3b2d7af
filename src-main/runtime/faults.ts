// Faults: what a run does when a board is lost, slowed or comes back, whenever it happens (while
// the coordinator connects, while boards load their parts, mid-run, during a re-plan's own
// redeployment, while the run drains). It plays the musical chair: a new plan for the farm as it
// is now (the planner's replan, with a slowed board costed at its new speed and a returning board
// offered its chair again), the new plan deployed to the boards under a new epoch, and every frame
// still in flight sent again (the Coordinator's redeploy); boards lost while that plan deploys
// are taken out and the plan made again. Each fault is recorded with its times: detection,
// re-plan, redeploy, and how long until throughput was back to 90% of the new plan's prediction.
// When nothing left can hold the model, the run ends saying which boards are missing and the
// smallest farm that would do. A board that joins the farm mid-run (runtime/join.ts) goes the
// same way, when the planner predicts it worth a chair.
import { AppError, type RunFault } from '../contract/index';
import type { Plan } from '../contract/plan';
import { type BoardProfile, mapOpSpeeds } from '../planner/profile';
import {
  changeFarm,
  planModel,
  replan,
  type FarmBoard,
  type Farm,
  type PlannerModel,
} from '../planner/index';
import type { Logger } from '../log';
import type { Coordinator } from './coordinator';
import type { RunPlan } from './deployment';
import { BoardsLostError, type LostBoard } from './deploy';
import type { Verdict } from './heartbeat';
import { joinWorthIt, type Joined } from './join';

/** What Faults acts on: a heartbeat verdict, or a board that joined the farm. */
type Change = Verdict | Joined;

/** Share of the new plan's predicted IPS that counts as recovered. */
export const RECOVERED_SHARE = 0.9;
/** Throughput is measured over this trailing window (and never over frames before detection). */
const WINDOW_MS = 2000;
const SAMPLE_MS = 100;

/** A board's profile when it computes `factor` times slower (thermal throttling). */
export function slowedProfile(p: BoardProfile, factor: number): BoardProfile {
  const op = (o: BoardProfile['ops']['conv']) => ({
    ...o,
    macsPerSec: o.macsPerSec / factor,
    bytesPerSec: o.bytesPerSec / factor,
    ...(o.spillBytesPerSec !== undefined ? { spillBytesPerSec: o.spillBytesPerSec / factor } : {}),
  });
  return {
    ...p,
    name: `${p.name} (${factor}x slower)`,
    ops: mapOpSpeeds(p.ops, op),
    layerSec: p.layerSec * factor,
    io: { messageSec: p.io.messageSec * factor, bytesPerSec: p.io.bytesPerSec / factor },
  };
}

/** The farm as it is now: without lost boards, slowed ones at their new speed. */
export function farmNow(
  farm: Farm,
  lost: ReadonlySet<string>,
  slowdown: ReadonlyMap<string, number>,
): Farm {
  return {
    coordinator: farm.coordinator,
    devices: farm.devices
      .filter((d) => !lost.has(d.id))
      .map((d) => {
        const f = slowdown.get(d.id) ?? 1;
        return f > 1 ? { ...d, profile: slowedProfile(d.profile, f) } : d;
      }),
  };
}

/**
 * Frames per second over the trailing window ending at `t` (ms), counting only completions
 * after `since`; null until a whole window has passed since then.
 */
export function windowRate(
  completedBetween: (from: number, to: number) => number,
  since: number,
  t: number,
): number | null {
  if (t - since < WINDOW_MS) return null;
  return (completedBetween(t - WINDOW_MS, t) * 1000) / WINDOW_MS;
}

/**
 * The smallest farm of the run's own kinds of board that would hold the model: the fewest of its
 * boards (those with the most memory first) the planner finds a plan for.
 */
export function smallestFarm(model: PlannerModel, farm: Farm): Farm | null {
  const bySize = [...farm.devices].sort(
    (a, b) => b.profile.memory.budgetBytes - a.profile.memory.budgetBytes,
  );
  for (let n = 1; n <= bySize.length; n++) {
    const devices = bySize.slice(0, n);
    try {
      planModel(model, { coordinator: farm.coordinator, devices }, { top: 1 });
      return { coordinator: farm.coordinator, devices };
    } catch {
      // not enough memory yet: one board more
    }
  }
  return null;
}

/** One line: nothing left holds the model, which boards are missing, what farm would do. */
export function nothingLeftError(
  model: PlannerModel,
  farm: Farm,
  lost: ReadonlySet<string>,
): AppError {
  const left = farm.devices.filter((d) => !lost.has(d.id)).map((d) => d.id);
  const need = smallestFarm(model, farm);
  const kinds = new Map<string, number>();
  for (const d of need?.devices ?? []) kinds.set(d.profile.id, (kinds.get(d.profile.id) ?? 0) + 1);
  const spec = [...kinds].map(([k, n]) => `${k}:${n}`).join(',');
  return new AppError(
    'FARM_TOO_SMALL',
    `nothing left can hold ${model.name}: ${[...lost].join(', ')} ${lost.size === 1 ? 'is' : 'are'} missing and ${left.length ? `${left.join(', ')} cannot hold it alone` : 'no board is left'}; the smallest farm that would do is ${need ? `${need.devices.length} board${need.devices.length === 1 ? '' : 's'} (${spec}), e.g. ${need.devices.map((d) => d.id).join(', ')}` : 'larger than this one'}`,
  );
}

export interface FaultsOptions {
  model: PlannerModel;
  /** The plan the run started with. */
  plan: Plan;
  /** The whole farm at its profiles' speed. */
  farm: Farm;
  coordinator: Coordinator;
  /** What the coordinator deploys for a plan (partitions, emulated times at nominal speed). */
  materialise(plan: Plan): Promise<RunPlan>;
  /** The --chaos injection behind a verdict, if any: its kind and time (performance.now ms). */
  causeOf(v: Verdict): { kind: string; at: number } | null;
  /** A fault as detected and acted on, then again once throughput recovered. */
  onFault(f: RunFault): void;
  /** Boards loading the new plan until `busy` settles (the Heartbeat's excuse). */
  excuse(ids: string[], busy: Promise<unknown>): void;
  /** Boards found gone while a plan deployed: the Heartbeat watches them as lost from now. */
  suspect(ids: string[]): void;
  /** Nothing left can hold the model: the run ends with this. */
  onFatal(err: AppError): void;
  /** A board that joined is given a chair, before the plan with it deploys (its meter starts). */
  onSeated?(board: FarmBoard): void;
  log: Logger;
}

interface Recovering {
  faults: RunFault[];
  since: number;
  target: number;
}

export class Faults {
  readonly list: RunFault[] = [];
  private plan: Plan;
  /** The whole farm at its profiles' speed, boards that joined included. */
  private whole: Farm;
  private readonly lost = new Set<string>();
  private readonly slowdown = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private recovering: Recovering | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: FaultsOptions) {
    this.plan = o.plan;
    this.whole = o.farm;
    this.timer = setInterval(() => this.measure(), SAMPLE_MS);
  }

  /** The plan running now. */
  get current(): Plan {
    return this.plan;
  }

  /** Boards lost and not back. */
  get missing(): string[] {
    return [...this.lost];
  }

  /** The farm at its profiles' speed, with the boards that joined so far. */
  get farm(): Farm {
    return this.whole;
  }

  /** A board that joined the farm (its agent answers): offered a chair if it is worth one. */
  join(board: FarmBoard, since: number): void {
    this.handle({ kind: 'joined', device: board.id, at: performance.now(), since, board });
  }

  /** Acts on a heartbeat verdict or a join; changes are handled one at a time, in order. */
  handle(v: Change): void {
    this.chain = this.chain
      .then(() => this.change([v]))
      .catch((err: Error) =>
        this.o.log.error({ device: v.device, err: err.message }, 'recovery failed'),
      );
  }

  /**
   * Boards lost before the run's first frame (unreachable, or gone while they loaded their
   * parts): a plan without them, deployed. Rejects when nothing left can hold the model.
   */
  lose(boards: readonly LostBoard[]): Promise<void> {
    const at = performance.now();
    const work = this.chain.then(() =>
      this.change(
        boards.map((b) => ({ kind: 'lost', device: b.id, at, lastHeardAt: at, why: b.why })),
      ),
    );
    this.chain = work.catch(() => undefined);
    return work;
  }

  /**
   * The running plan deployed again under a new epoch, every frame in flight sent again: after an
   * outage of this machine's link, frames whose hand-over or result failed meanwhile would wait
   * for ever. Resolves with the frames sent again.
   */
  redeployAsItIs(): Promise<number> {
    const work = this.chain.then(() => this.o.coordinator.changing(() => this.deploy(this.plan)));
    this.chain = work.then(
      () => undefined,
      (err: Error) => this.o.log.error({ err: err.message }, 'redeploy after an outage failed'),
    );
    return work;
  }

  /** Resolves once every verdict so far has been acted on. */
  settled(): Promise<void> {
    return this.chain;
  }

  private rel(ms: number): number {
    // Before the first frame, times are 0: the fault's phase says when it came.
    const start = this.o.coordinator.startedAtMs;
    return start > 0 ? (ms - start) / 1000 : 0;
  }

  /** A verdict as a fault record, and the farm as it is after it. */
  private note(v: Change, why = ''): RunFault {
    if (v.kind === 'joined') this.whole = changeFarm(this.whole, [], [v.board]);
    if (v.kind === 'lost') this.lost.add(v.device);
    if (v.kind === 'back') this.lost.delete(v.device);
    if (v.kind === 'slowed') this.slowdown.set(v.device, v.slowdown);
    const cause = v.kind === 'joined' ? null : this.o.causeOf(v);
    // Without an injection to date it, a lost board failed some time after its last answer; a
    // joined board joined when the farm first named it.
    const at =
      cause?.at ?? (v.kind === 'lost' ? v.lastHeardAt : v.kind === 'joined' ? v.since : v.at);
    return {
      kind: v.kind === 'slowed' && v.slowdown <= 1 ? 'back' : v.kind,
      device: v.device,
      cause: cause?.kind ?? null,
      phase: this.o.coordinator.phase,
      at: this.rel(at),
      detectedAt: this.rel(v.at),
      // A restarted agent may answer a ping before the restart call hears it listen: 0, then.
      detectionMs: Math.max(0, v.at - at),
      slowdown: v.kind === 'slowed' ? v.slowdown : null,
      replanMs: null,
      redeployMs: null,
      resent: 0,
      plan: null,
      why,
      recoveryS: null,
    };
  }

  /**
   * The replan entry point: the farm changed (boards lost, back or slowed; a board that joins is
   * one back that the plan never had). Plans again for the farm as it is now and, if the plan
   * changes or a board of it was lost, deploys it and sends the frames in flight again. Rejects,
   * after onFatal, when nothing left can hold the model.
   */
  private async change(verdicts: readonly Change[]): Promise<void> {
    // A board found gone by a deployment may be declared lost by the heartbeat as well.
    const news = verdicts.filter((v) => v.kind !== 'lost' || !this.lost.has(v.device));
    if (news.length === 0) return;
    const faults = news.map((v) => this.note(v, v.kind === 'lost' ? v.why : ''));
    const inPlan = (id: string) =>
      this.plan.devices.some((d) => d.device === id && d.part !== null);
    if (news.every((v) => v.kind === 'lost' && !inPlan(v.device))) {
      for (const f of faults)
        this.record({ ...f, why: `${f.device} had no part in the plan running` });
      return;
    }
    await this.o.coordinator.changing(() => this.replanUntilDeployed(news[0] as Change, faults));
  }

  /**
   * Re-plans and deploys until a deployment holds: boards lost while a plan deploys are taken out
   * (each its own fault, at the re-plan phase) and the plan made again from the one half deployed.
   * Every fault of the change is recorded at the end, with the plan the run went on with.
   */
  private async replanUntilDeployed(v: Change, faults: RunFault[]): Promise<void> {
    const notes: string[] = [];
    let lostOne = v.kind === 'lost';
    for (;;) {
      const t0 = performance.now();
      let r: ReturnType<typeof replan>;
      try {
        r = replan(this.o.model, this.plan, farmNow(this.whole, this.lost, this.slowdown));
      } catch (err) {
        const fatal = nothingLeftError(this.o.model, this.whole, this.lost);
        for (const f of faults) this.record({ ...f, why: [...notes, fatal.message].join('; ') });
        this.o.log.error({ err: (err as Error).message }, 'no plan left');
        this.o.onFatal(fatal);
        throw fatal;
      }
      const replanMs = performance.now() - t0;
      if (v.kind === 'joined') {
        const offer = joinWorthIt(this.plan, r);
        for (const f of faults) f.gain = offer.gain;
        if (!offer.take) {
          for (const f of faults) this.record({ ...f, replanMs, why: offer.why });
          return;
        }
        // Loading its parts is the run's work too: measured from here.
        this.o.onSeated?.(v.board);
      }
      // The planner words changes of the device set; a change of speed is said here.
      const why =
        v.kind === 'slowed'
          ? r.why.replace(
              /^no change/,
              `${v.device} ${v.slowdown === 1 ? 'at full speed again' : `${v.slowdown}x slower`}`,
            )
          : r.why;
      let resent = 0;
      let redeployMs: number | null = null;
      // A lost board's replicas must go even when the plan's layout stays.
      if (lostOne || r.switchPlan || !this.o.coordinator.deployed) {
        const t1 = performance.now();
        try {
          resent = await this.deploy(r.plan);
        } catch (err) {
          // The new plan is on some boards already: what comes next re-plans from it.
          this.plan = r.plan;
          if (!(err instanceof BoardsLostError)) {
            const msg = `${why}; its deployment failed: ${(err as Error).message}`;
            for (const f of faults) this.record({ ...f, replanMs, why: msg });
            throw err;
          }
          // Boards gone while the plan deployed: out of the farm, and the plan made again.
          const ids = err.boards.map((b) => b.id);
          notes.push(`${why}; ${ids.join(', ')} lost while it deployed`);
          this.o.suspect(ids);
          const at = performance.now();
          for (const b of err.boards.filter((x) => !this.lost.has(x.id)))
            faults.push({
              ...this.note({ kind: 'lost', device: b.id, at, lastHeardAt: at, why: b.why }, b.why),
              phase: 'replan',
            });
          lostOne = true;
          continue;
        }
        redeployMs = performance.now() - t1;
      }
      this.plan = r.plan;
      const plan = {
        origin: r.plan.origin,
        predictedIps: r.plan.prediction.ips,
        devices: r.plan.devices.filter((d) => d.part !== null).map((d) => d.device),
      };
      const recorded = faults.map((f) => ({
        ...f,
        replanMs,
        redeployMs,
        resent,
        plan,
        why: [...notes, why].join('; then '),
      }));
      for (const f of recorded) this.record(f);
      this.recovering = {
        faults: recorded,
        since: v.at,
        target: RECOVERED_SHARE * r.plan.prediction.ips,
      };
      return;
    }
  }

  /** Deploys a plan with its boards excused while they load it; the frames sent again. */
  private async deploy(plan: Plan): Promise<number> {
    // Boards are excused while they load the plan, not while the frames go again after.
    let installed = () => undefined as void;
    const installing = new Promise<void>((resolve) => (installed = resolve));
    const deploying = this.o
      .materialise(plan)
      .then((p) => this.o.coordinator.redeploy(p, installed));
    this.o.excuse(
      plan.devices.filter((d) => d.part !== null).map((d) => d.device),
      Promise.race([installing, deploying]),
    );
    return deploying;
  }

  /** Adds a fault to the run's list and reports it (the link's outages come here too). */
  record(f: RunFault): void {
    this.list.push(f);
    this.o.log.warn(
      { device: f.device, kind: f.kind, detectionMs: f.detectionMs, replanMs: f.replanMs },
      f.why,
    );
    this.o.onFault(f);
  }

  /** Samples throughput since the last change until it reaches its share of the prediction. */
  private measure(): void {
    const r = this.recovering;
    if (!r) return;
    const now = performance.now();
    const c = this.o.coordinator;
    const rate = windowRate((from, to) => c.completedBetween(from, to), r.since, now);
    if (rate === null || rate < r.target) return;
    this.recovering = null;
    for (const f of r.faults) {
      f.recoveryS = (now - r.since) / 1000;
      this.o.onFault(f);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
