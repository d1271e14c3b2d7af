// Supervision of one run against board failures, from before it connects to its last frame: the
// Faults handler re-planning around boards lost while the run deploys (lose) and on the verdicts
// of the Heartbeat that watches every board once frames flow (start), and Chaos injecting the
// faults asked for (--chaos), timed from the first frame or at a moment of the run (reached). It
// reports each fault to the run's record, the UI (run/fault) and the terminal.
import { describeChange, faultWhen, type RunFault } from '../contract/index';
import type { Plan } from '../contract/plan';
import type { EventBus } from '../shared/events';
import type { Logger } from '../log';
import type { Farm, FarmBoard, PlannerModel } from '../planner/index';
import type { RunRecorder } from '../store/runs';
import { type TlsMaterial } from '../../remote-agent/src/protocol/index';
import { Chaos, LINK, type ChaosAction, type ChaosKind, type ChaosTarget } from './chaos';
import type { Coordinator, RunPhase } from './coordinator';
import type { RunPlan } from './deployment';
import type { LostBoard } from './deploy';
import { Faults } from './faults';
import { startHeartbeat, type HeartbeatHandle, type Verdict } from './heartbeat';
import { watchJoins, type Membership } from './join';
import { LinkWatch } from './outage';

export interface SuperviseOptions {
  runId: string;
  coordinator: Coordinator;
  targets: ChaosTarget[];
  tls: TlsMaterial;
  chaos: readonly ChaosAction[];
  /** This machine's link to the boards when they run in network namespaces (outages cut it). */
  uplink: ConstructorParameters<typeof Chaos>[3];
  /** Seconds the run waits for its link, every board silent, before it ends. */
  outageLimitS: number;
  model: PlannerModel;
  plan: Plan;
  farm: Farm;
  materialise(plan: Plan): Promise<RunPlan>;
  recorder: RunRecorder | null;
  events: EventBus | null;
  log: Logger;
  say?(line: string): void;
  /** Called with the plan the run goes on with after each re-plan. */
  onPlan?(plan: Plan): void;
  /** Where boards joining the farm mid-run come from; none: the run's boards are all it has. */
  membership?: Membership;
  /** A board that joined is given a chair (Faults' onSeated). */
  onSeated?(board: FarmBoard): void;
}

export interface Supervision {
  faults: Faults;
  /** Boards lost before the first frame: the run goes on without them (rejects if it cannot). */
  lose(boards: readonly LostBoard[]): Promise<void>;
  /** The run reached a moment: the faults asked for at it are injected. */
  reached(phase: RunPhase): Promise<void>;
  /** The first frame goes: the heartbeat starts, and the timed faults' clocks. */
  start(): void;
  /** Stops watching; waits for a recovery under way to finish. */
  stop(): Promise<void>;
}

/** Which injected faults explain each verdict. */
const CAUSES: Record<Verdict['kind'], ChaosKind[]> = {
  lost: ['kill', 'cut'],
  back: ['back'],
  slowed: ['slow', 'back'],
};

/** One line for the terminal. */
export function describeFault(f: RunFault): string {
  if (f.kind === 'outage')
    return `outage ${faultWhen(f)}: every board silent at once, taken for this machine's link; detected in ${Math.round(f.detectionMs)} ms, the run paused with its frames kept${f.recoveryS !== null ? `; the link answered again after ${f.recoveryS.toFixed(1)} s` : ''}`;
  const what = describeChange(f);
  const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`);
  return `${f.kind === 'joined' ? 'change' : 'fault'} ${faultWhen(f)}: ${what}; detected in ${ms(f.detectionMs)}, re-plan ${ms(f.replanMs)}, redeploy ${ms(f.redeployMs)}, ${f.resent} frames sent again${f.plan ? `; plan ${f.plan.origin} on ${f.plan.devices.length} devices, predicted ${f.plan.predictedIps.toFixed(2)} IPS` : ''}${f.recoveryS !== null ? `; 90% of it after ${f.recoveryS.toFixed(1)} s` : ''}`;
}

/** Supervision of a run whose coordinator has not connected yet. */
export function supervise(o: SuperviseOptions): Supervision {
  let chaos: Chaos | null = null;
  let heartbeat: HeartbeatHandle | null = null;
  let stopJoins: (() => void) | null = null;
  // Record updates are chained and awaited by stop(): one landing after the run's final record
  // would put it back to "running".
  let recording: Promise<void> = Promise.resolve();
  // Called when a fault is recorded and again once the run has recovered from it.
  const publish = (f: RunFault) => {
    o.events?.emit('run/fault', { ...f, runId: o.runId });
    o.say?.(describeFault(f));
    // Once per re-plan: the second publish of a fault (its recovery) changes no plan.
    if (f.plan && f.recoveryS === null) o.onPlan?.(faults.current);
    const list = [...faults.list];
    recording = recording
      .then(() => o.recorder?.setState('running', { faults: list }))
      .catch((err: unknown) => o.log.warn({ err }, 'fault not recorded'));
  };
  const faults = new Faults({
    model: o.model,
    plan: o.plan,
    farm: o.farm,
    coordinator: o.coordinator,
    materialise: o.materialise,
    causeOf: (v) => {
      const i = chaos?.lastInjected(v.device, CAUSES[v.kind]);
      return i ? { kind: i.action.kind, at: i.at } : null;
    },
    onFault: publish,
    // Before the first frame nobody beats: boards loading the plan need no excuse then.
    excuse: (ids, busy) => heartbeat?.excuse(ids, busy),
    suspect: (ids) => heartbeat?.suspect(ids),
    onFatal: (err) => o.coordinator.abort(err),
    ...(o.onSeated ? { onSeated: o.onSeated } : {}),
    log: o.log,
  });
  const link = new LinkWatch({
    coordinator: o.coordinator,
    limitS: o.outageLimitS,
    causeAt: () => chaos?.lastInjected(LINK, ['outage'])?.at ?? null,
    onFault: (f, first) => (first ? faults.record(f) : publish(f)),
    onRestored: () => faults.redeployAsItIs(),
  });
  if (o.chaos.length > 0) {
    chaos = new Chaos(
      o.chaos,
      o.targets,
      o.tls,
      o.uplink,
      (i) => {
        o.log.warn({ device: i.action.device, how: i.how }, `chaos: ${i.action.kind}`);
        o.say?.(
          `chaos ${o.coordinator.startedAtMs > 0 ? `at ${((i.at - o.coordinator.startedAtMs) / 1000).toFixed(1)} s` : `at ${String(i.action.at)}`}: ${i.action.kind} ${i.action.device} (${i.how})`,
        );
      },
      (a, err) => {
        o.log.warn({ device: a.device, err: err.message }, `chaos: ${a.kind} failed`);
        o.say?.(`chaos: ${a.kind}:${a.device} failed: ${err.message}`);
      },
    );
  }
  return {
    faults,
    lose: (boards) => faults.lose(boards),
    reached: async (phase) => chaos?.reached(phase),
    start: () => {
      heartbeat = startHeartbeat(
        o.targets.map((t) => t.peer),
        o.tls,
        (v) => (v.kind === 'outage' || v.kind === 'restored' ? link.handle(v) : faults.handle(v)),
        faults.missing,
      );
      const beat = heartbeat;
      stopJoins = o.membership
        ? watchJoins({
            membership: o.membership,
            tls: o.tls,
            addAgent: (a) => o.coordinator.addAgent(a),
            watch: (p) => beat.watch(p),
            join: (board, since) => faults.join(board, since),
            log: o.log,
            say: o.say,
          })
        : null;
      chaos?.start();
    },
    stop: async () => {
      chaos?.stop();
      stopJoins?.();
      heartbeat?.stop();
      link.stop();
      await faults.settled();
      faults.stop();
      await recording;
    },
  };
}
