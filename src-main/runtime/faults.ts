// Faults: what a run does when the Heartbeat says a board was lost, slowed or came back. It plays
// the musical chair: a new plan for the farm as it is now (the planner's replan, with a slowed
// board costed at its new speed and a returning board offered its chair again), the new plan
// deployed to the boards under a new epoch, and every frame still in flight sent again (the
// Coordinator's redeploy). Each fault is recorded with its times: detection, re-plan, redeploy,
// and how long until throughput was back to 90% of the new plan's prediction. A board that joins
// the farm mid-run (runtime/join.ts) goes the same way, when the planner predicts it worth a chair.
import type { RunFault } from '../contract/index';
import type { Plan } from '../contract/plan';
import { type DeviceProfile, mapOpSpeeds } from '../planner/profile';
import { changeFarm, replan, type Device, type Farm, type PlannerModel } from '../planner/index';
import type { Logger } from '../log';
import type { Coordinator } from './coordinator';
import type { RunPlan } from './deployment';
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
export function slowedProfile(p: DeviceProfile, factor: number): DeviceProfile {
  const op = (o: DeviceProfile['ops']['conv']) => ({
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
  log: Logger;
}

interface Recovering {
  fault: RunFault;
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

  /** The farm at its profiles' speed, with the boards that joined so far. */
  get farm(): Farm {
    return this.whole;
  }

  /** A board that joined the farm (its agent answers): offered a chair if it is worth one. */
  join(board: Device, since: number): void {
    this.handle({ kind: 'joined', device: board.id, at: performance.now(), since, board });
  }

  /** Acts on a heartbeat verdict or a join; changes are handled one at a time, in order. */
  handle(v: Change): void {
    this.chain = this.chain
      .then(() => this.act(v))
      .catch((err: Error) =>
        this.o.log.error({ device: v.device, err: err.message }, 'recovery failed'),
      );
  }

  /** Resolves once every verdict so far has been acted on. */
  settled(): Promise<void> {
    return this.chain;
  }

  private rel(ms: number): number {
    return (ms - this.o.coordinator.startedAtMs) / 1000;
  }

  private async act(v: Change): Promise<void> {
    if (v.kind === 'joined') this.whole = changeFarm(this.whole, [], [v.board]);
    const kind: RunFault['kind'] =
      v.kind === 'slowed' && v.slowdown <= 1 ? 'back' : v.kind === 'slowed' ? 'slowed' : v.kind;
    if (v.kind === 'lost') this.lost.add(v.device);
    if (v.kind === 'back') this.lost.delete(v.device);
    if (v.kind === 'slowed') this.slowdown.set(v.device, v.slowdown);
    const cause = v.kind === 'joined' ? null : this.o.causeOf(v);
    // Without an injection to date it, a lost board failed some time after its last answer; a
    // joined board joined when the farm first named it.
    const at =
      cause?.at ?? (v.kind === 'lost' ? v.lastHeardAt : v.kind === 'joined' ? v.since : v.at);
    const fault: RunFault = {
      kind,
      device: v.device,
      cause: cause?.kind ?? null,
      at: this.rel(at),
      detectedAt: this.rel(v.at),
      // A restarted agent may answer a ping before the restart call hears it listen: 0, then.
      detectionMs: Math.max(0, v.at - at),
      slowdown: v.kind === 'slowed' ? v.slowdown : null,
      replanMs: null,
      redeployMs: null,
      resent: 0,
      plan: null,
      why: '',
      recoveryS: null,
    };
    const inPlan = this.plan.devices.some((d) => d.device === v.device && d.part !== null);
    if (v.kind === 'lost' && !inPlan) {
      fault.why = `${v.device} had no part in the plan running`;
      this.record(fault);
      return;
    }
    const t0 = performance.now();
    const r = replan(this.o.model, this.plan, farmNow(this.whole, this.lost, this.slowdown));
    fault.replanMs = performance.now() - t0;
    if (v.kind === 'joined') {
      const offer = joinWorthIt(this.plan, r);
      fault.gain = offer.gain;
      if (!offer.take) {
        fault.why = offer.why;
        this.record(fault);
        return;
      }
    }
    // The planner words changes of the device set; a change of speed is said here.
    fault.why =
      v.kind === 'slowed'
        ? r.why.replace(
            /^no change/,
            `${v.device} ${v.slowdown === 1 ? 'at full speed again' : `${v.slowdown}x slower`}`,
          )
        : r.why;
    // A lost board's replicas must go even when the plan's layout stays.
    if (v.kind === 'lost' || r.switchPlan) {
      const t1 = performance.now();
      // Boards are excused while they load the plan, not while the frames go again after.
      let installed = () => undefined as void;
      const installing = new Promise<void>((resolve) => (installed = resolve));
      const deploying = this.o
        .materialise(r.plan)
        .then((p) => this.o.coordinator.redeploy(p, installed));
      this.o.excuse(
        r.plan.devices.filter((d) => d.part !== null).map((d) => d.device),
        Promise.race([installing, deploying]),
      );
      try {
        fault.resent = await deploying;
      } catch (err) {
        // A board lost while it loads (killed as it came back) fails the deploy with the new plan
        // on some boards already: the verdict that follows must re-plan from this plan, not take
        // the board for one the running plan never used and leave the farm half-deployed.
        this.plan = r.plan;
        fault.why = `${fault.why}; its deployment failed: ${(err as Error).message}`;
        this.record(fault);
        throw err;
      }
      fault.redeployMs = performance.now() - t1;
    }
    this.plan = r.plan;
    fault.plan = {
      origin: r.plan.origin,
      predictedIps: r.plan.prediction.ips,
      devices: r.plan.devices.filter((d) => d.part !== null).map((d) => d.device),
    };
    this.record(fault);
    this.recovering = { fault, since: v.at, target: RECOVERED_SHARE * r.plan.prediction.ips };
  }

  private record(f: RunFault): void {
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
    r.fault.recoveryS = (now - r.since) / 1000;
    this.recovering = null;
    this.o.onFault(r.fault);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
