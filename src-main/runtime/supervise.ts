// Supervision of one run against board failures: the Heartbeat watching every board, the Faults
// handler re-planning on its verdicts, and Chaos injecting the faults asked for (--chaos); and
// the boards that join the farm meanwhile (runtime/join.ts), offered a chair the same way. It
// reports each change to the run's record, the UI (run/fault) and the terminal.
import { describeChange, type RunFault } from '../contract/run';
import type { Plan } from '../contract/plan';
import type { EventBus } from '../shared/events';
import type { Logger } from '../log';
import type { Farm, PlannerModel } from '../planner/index';
import type { RunRecorder } from '../store/runs';
import type { TlsMaterial } from '../../remote-agent/src/protocol/index';
import { Chaos, type ChaosAction, type ChaosKind, type ChaosTarget } from './chaos';
import type { Coordinator } from './coordinator';
import type { RunPlan } from './deployment';
import { Faults } from './faults';
import { startHeartbeat, type Verdict } from './heartbeat';
import { watchJoins, type Membership } from './join';

export interface SuperviseOptions {
  runId: string;
  coordinator: Coordinator;
  targets: ChaosTarget[];
  tls: TlsMaterial;
  chaos: readonly ChaosAction[];
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
}

export interface Supervision {
  faults: Faults;
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
  const what = describeChange(f);
  const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`);
  return `${f.kind === 'joined' ? 'change' : 'fault'} at ${f.at.toFixed(1)} s: ${what}; detected in ${ms(f.detectionMs)}, re-plan ${ms(f.replanMs)}, redeploy ${ms(f.redeployMs)}, ${f.resent} frames sent again${f.plan ? `; plan ${f.plan.origin} on ${f.plan.devices.length} devices, predicted ${f.plan.predictedIps.toFixed(2)} IPS` : ''}${f.recoveryS !== null ? `; 90% of it after ${f.recoveryS.toFixed(1)} s` : ''}`;
}

export function supervise(o: SuperviseOptions): Supervision {
  let chaos: Chaos | null = null;
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
    // The Heartbeat is made next: Faults acts on its verdicts and excuses boards through it.
    excuse: (ids, busy) => heartbeat.excuse(ids, busy),
    log: o.log,
  });
  const heartbeat = startHeartbeat(
    o.targets.map((t) => t.peer),
    o.tls,
    (v) => faults.handle(v),
  );
  const stopJoins = o.membership
    ? watchJoins({
        membership: o.membership,
        tls: o.tls,
        addAgent: (a) => o.coordinator.addAgent(a),
        watch: (p) => heartbeat.watch(p),
        join: (board, since) => faults.join(board, since),
        log: o.log,
        say: o.say,
      })
    : null;
  if (o.chaos.length > 0) {
    chaos = new Chaos(
      o.chaos,
      o.targets,
      o.tls,
      (i) => {
        o.log.warn({ device: i.action.device, how: i.how }, `chaos: ${i.action.kind}`);
        o.say?.(
          `chaos at ${((i.at - o.coordinator.startedAtMs) / 1000).toFixed(1)} s: ${i.action.kind} ${i.action.device} (${i.how})`,
        );
      },
      (a, err) => {
        o.log.warn({ device: a.device, err: err.message }, `chaos: ${a.kind} failed`);
        o.say?.(`chaos: ${a.kind}:${a.device} failed: ${err.message}`);
      },
    );
    chaos.start();
  }
  return {
    faults,
    stop: async () => {
      chaos?.stop();
      stopJoins?.();
      heartbeat.stop();
      await faults.settled();
      faults.stop();
      await recording;
    },
  };
}
