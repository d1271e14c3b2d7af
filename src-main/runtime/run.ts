// `mchair run`: a model, a plan (a file, the planner's best, or one of the paper's presets) and
// a farm (see runFarm.ts), then one recorded run with the figures the issue asks for: IPS after
// warm-up, the plan's predicted IPS, latency percentiles, frame accounting and per-device load.
// Every figure from an emulated farm says so. The steps, in order: the model and its costs, the
// farm as the planner sees it, the plan (checked and costed once), the farm opened, the plan made
// deployable (partition and boards together, runDeploy.ts), the frames, the record.
import { existsSync } from 'node:fs';
import { AppError, InputError } from '../contract/index';
import { plainIssues, readJsonAs } from '../files/kind';
import type { RunEnergy } from '../contract/energy';
import type { RunReport } from '../contract/runReport';
import { linkSources, Plan, profileSources } from '../contract/plan';
import type { EventBus } from '../shared/events';
import type { Logger } from '../log';
import { encodeModel, inspectModel, type ModelInspection } from '../model/index';
import { openModel } from '../model/source';
import type { OnnxModel } from '../model/onnx';
import {
  planModel,
  plannerModelOf,
  predictPlan,
  presetPlan,
  tensorBytesOf,
  PRESET_IDS,
  type Farm,
  type PlannerModel,
  type PresetId,
} from '../planner/index';
import { RunRecorder } from '../store/runs';
import { ResultChecker } from './check';
import type { CheckBehind } from './checkBehind';
import { executeRun, type ExecuteOutcome } from './execute';
import { parseChaos, type ChaosAction } from './chaos';
import type { BoardRecord } from '../inventory/boardRecord';
import { OUTAGE_LIMIT_S } from './outage';
import { supervise, type Supervision } from './supervise';
import { farmFileMembership, type Membership } from './join';
import { inventoryMembership } from './boardsJoin';
import { defaultBoardStatesPath } from '../inventory/boardStates';
import { withStoredProfiles } from '../planner/profileBook';
import { addressTowards, farmTargets, type FarmTargets } from './targets';
import { boardTargets } from './boardFarm';
import type { RunFault, RunRepeat } from '../contract/index';
import { recordedWindow } from './stats';
import { runPower, type RunPower } from './power';
import type { PowerFlags } from '../power/index';
import { syntheticSource, type FrameSource } from './source';
import type { WireTensor } from '../../remote-agent/src/protocol/index';
import { openFarm, seeFarm, type FarmChoice, type ReadyFarm, type SeenFarm } from './runFarm';
import { deployments, type Deployed } from './runDeploy';

export interface RunRequest {
  /** A zoo name or an ONNX file, or a model already opened (`mchair classify`'s wrapped one). */
  model: string | OnnxModel;
  /** The model's class names: each recorded result then says its top-1 label and probability. */
  labels?: readonly string[];
  /** auto, a paper preset or a plan file (`--plan`), or a plan already made (the app, profile). */
  plan: string | Plan;
  /** Where the frames go: emulated boards started for the run, a farm file's, or the lab's. */
  farm: FarmChoice;
  /**
   * The boards' measured profiles as the inventory keeps them (by board name): the plan and its
   * prediction use them; an emulated board still computes at its built-in profile's speed.
   */
  profiles?: Readonly<Record<string, unknown>>;
  /**
   * The lab's data folder (its farm CA) when the run is recorded elsewhere: `mchair profile`
   * keeps its measurement runs out of the lab's history. Defaults to dataDir.
   */
  labDir?: string;
  frames: number;
  check: boolean;
  window: number;
  /** This run's place in a repeated set (`--repeat N`), recorded in its run.json. */
  repeat?: RunRepeat;
  /** Frames from here instead of synthetic ones. */
  source?: (input: { name: string; dtype: string; shape: number[] }) => Promise<FrameSource>;
  dataDir: string;
  log: Logger;
  events?: EventBus;
  say?(line: string): void;
  /** --chaos: faults to inject (see runtime/chaos.ts); the run survives them either way. */
  chaos?: string;
  /** --outage-limit: seconds the run waits, every board silent, for this machine's link. */
  outageLimitS?: number;
  /** --meter and the idle flags; absent: emulated farms get emulated power, others none. */
  power?: PowerFlags;
  /** Stops feeding frames (those already sent are still collected): the app's Stop. */
  signal?: AbortSignal;
  /**
   * Called as soon as the run has an id, long before runModel returns (the app's run/start), with
   * the model's input (the page makes its frames to fit it).
   */
  onRunId?(runId: string, input: { name: string; dtype: string; shape: number[] }): void;
  /** The plan the run follows, once chosen (before any process starts). */
  onPlan?(plan: Plan): void;
  /** Sees every result's model output, in frame order (the app's live preview). */
  onOutput?(frameId: number, output: WireTensor): void;
  /**
   * Once a second: results counted so far, those handed to the run store (in frame order) and,
   * with --check, how many of them are checked.
   */
  onProgress?(p: { completed: number; recorded: number; checked: number | null }): void;
}

/** What a run reports once it has ended: the contract's, so the CLI gets it through the core. */
export type { RunReport };

/** The plan `--plan REF` names: auto (the planner's best), a paper preset, or a plan file. */
export async function choosePlan(ref: string | Plan, pm: PlannerModel, farm: Farm): Promise<Plan> {
  if (typeof ref !== 'string') return predictPlan(pm, ref, farm);
  if (ref === 'auto') {
    const best = planModel(pm, farm).plans[0];
    if (!best)
      throw new AppError('NO_PLAN', `the planner found no plan of ${pm.name} for this farm`);
    return best;
  }
  if ((PRESET_IDS as readonly string[]).includes(ref)) return presetPlan(ref as PresetId, pm, farm);
  if (!existsSync(ref))
    throw new InputError(`--plan: "${ref}" is not auto, ${PRESET_IDS.join(', ')} or a plan file`);
  const json = readJsonAs('--plan', ref, 'plan');
  const parsed = Plan.safeParse(json);
  if (!parsed.success) throw new InputError(plainIssues(ref, 'plan', json, parsed.error));
  return predictPlan(pm, parsed.data, farm);
}

/** The model a run runs, with its costs: read once, shared by the planner and the partitions. */
interface RunModel {
  model: OnnxModel;
  inspection: ModelInspection;
  pm: PlannerModel;
}

function runModelOf(ref: RunRequest['model']): RunModel {
  const model = typeof ref === 'string' ? openModel(ref, { seed: 1 }) : ref;
  const inspection = inspectModel(model);
  return { model, inspection, pm: plannerModelOf(model.name, inspection) };
}

/**
 * Boards a chaos cut will hit: on an emulated farm they get network namespaces of their own. An
 * outage of this machine's link puts every board there, so their common uplink can go down while
 * they still reach each other.
 */
function cutBoards(chaos: readonly ChaosAction[], boardIds: readonly string[]): string[] {
  if (chaos.some((a) => a.kind === 'outage')) return [...boardIds];
  return [...new Set(chaos.filter((a) => a.kind === 'cut').map((a) => a.device))];
}

/** What chaos and a restart can reach of the farm's boards. */
function targetsOf(farm: ReadyFarm, planner: Farm): FarmTargets {
  return farm.endpoints
    ? farmTargets(farm.endpoints, planner, farm.own ? { threads: 1, netns: farm.netns } : null)
    : boardTargets(farm.agents);
}

/**
 * Where boards joining the run's farm come from: a farm file can grow (`mchair farm add`, the
 * Virtual farm panel), and so can the lab when the run has all its boards. None otherwise.
 */
function membershipOf(
  seen: SeenFarm,
  boards: BoardRecord[] | null,
  req: RunRequest,
): Membership | null {
  const known = seen.planner.devices.map((d) => d.id);
  if (seen.kind === 'file') return farmFileMembership(seen.open.file, known, req.log);
  if (seen.kind !== 'boards' || !seen.boards.inventory || !boards) return null;
  return inventoryMembership({
    inventory: seen.boards.inventory,
    states: defaultBoardStatesPath(req.labDir ?? req.dataDir),
    known,
    admit: (b) => boards.push(b),
    log: req.log,
  });
}

/** The run's own copy of the lab's boards: one that joins is added for its parts to be pushed. */
function ownBoards(choice: FarmChoice): { choice: FarmChoice; boards: BoardRecord[] | null } {
  if (choice.kind !== 'boards') return { choice, boards: null };
  const boards = [...choice.boards.devices];
  return { choice: { kind: 'boards', boards: { ...choice.boards, devices: boards } }, boards };
}

export async function runModel(req: RunRequest): Promise<RunReport> {
  const m = runModelOf(req.model);
  // Plan first (cheap, and its errors are the user's to fix) before any process starts.
  const own = ownBoards(req.farm);
  const seen = await seeFarm(own.choice);
  // What the planner believes (measured profiles where the lab has them); the emulation still
  // holds each frame for the built-in board's time, which is what a measurement should find.
  const believed = withStoredProfiles(seen.planner, req.profiles ?? {});
  for (const note of believed.notes) req.say?.(note);
  const plan = await choosePlan(req.plan, m.pm, believed.farm);
  req.onPlan?.(plan);
  const boardIds = seen.planner.devices.map((d) => d.id);
  const chaos = req.chaos ? parseChaos(req.chaos, boardIds) : [];
  const farm = await openFarm(seen, {
    isolate: cutBoards(chaos, boardIds),
    labDir: req.labDir ?? req.dataDir,
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.say ? { say: req.say } : {}),
  });
  const targets = targetsOf(farm, seen.planner);
  try {
    const rec = await RunRecorder.create(req.dataDir, {
      kind: 'run',
      model: m.model.name,
      frames: req.frames,
      ...(req.repeat ? { repeat: req.repeat } : {}),
    });
    req.onRunId?.(rec.id, m.inspection.input);
    const tensorBytes = tensorBytesOf(m.pm, m.inspection.layers);
    const showPlan = (p: Plan) =>
      req.events?.emit('run/plan', { runId: rec.id, plan: p, tensorBytes });
    showPlan(plan);
    req.say?.(
      `run ${rec.id}: ${m.model.name}, plan ${plan.origin} (predicted ${plan.prediction.ips.toFixed(2)} IPS; profiles: ${profileSources(plan)}; links: ${linkSources(plan)}), ${req.frames} frames${farm.emulated ? ' on an emulated farm' : ''}`,
    );
    await rec.writeFile('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
    // Boards hold frames for their built-in profile's time: the plan is costed again on them only
    // when measured profiles shaped it. After a join the farm has grown (supervision's farm).
    const grown: { supervision: Supervision | null } = { supervision: null };
    const nominal = () => grown.supervision?.faults.farm ?? seen.planner;
    const deploy = deployments({ ...m, nominal, farm, runDir: rec.dir });
    const first = await deploy(plan, believed.notes.length === 0 ? plan : undefined);
    await rec.writeFile('manifest.json', `${JSON.stringify(first.manifest, null, 2)}\n`);
    const membership = membershipOf(seen, own.boards, req);
    return await runDeployed(req, {
      m,
      seen,
      planning: believed.farm,
      plan,
      chaos,
      farm,
      targets,
      rec,
      deploy,
      first,
      showPlan,
      membership,
      grown,
    });
  } finally {
    await targets.stop();
    await farm.stop();
  }
}

/** A run with its farm open, its record made and its first plan deployable. */
interface Ready {
  m: RunModel;
  seen: SeenFarm;
  plan: Plan;
  chaos: ChaosAction[];
  farm: ReadyFarm;
  targets: FarmTargets;
  rec: RunRecorder;
  deploy: (p: Plan) => Promise<Deployed>;
  first: Deployed;
  /** The farm as the planner believes it (measured profiles where the lab has them). */
  planning: Farm;
  /** Tells the app the plan the run follows now (run/plan). */
  showPlan(p: Plan): void;
  /** Where boards that join come from; null when none can. */
  membership: Membership | null;
  /** Where the run's supervision is kept once it starts (its farm grows as boards join). */
  grown: { supervision: Supervision | null };
}

/** Feeds the frames, supervises the boards, measures, and records how the run ended. */
async function runDeployed(req: RunRequest, r: Ready): Promise<RunReport> {
  const { rec, farm } = r;
  const checker = req.check
    ? await ResultChecker.create(encodeModel(r.m.model), r.first.manifest.output)
    : null;
  const input = r.first.manifest.input;
  const source = req.source ? await req.source(input) : syntheticSource(input);
  const power = runPower(req.power, {
    runDir: rec.dir,
    log: req.log,
    farm: r.seen.planner,
    emulated: farm.emulated,
    // Only a caller that listens (the app) pays for the live batches.
    live: req.events && ((p) => req.events?.emit('run/power', { runId: rec.id, ...p })),
  });
  let supervision: Supervision | null = null;
  let checks: CheckBehind | null = null;
  // Removed at the end: one signal may serve many runs (profiling's probes: 11 per board).
  let stopOnAbort: (() => void) | null = null;
  try {
    await rec.setState('running');
    req.events?.emit('run/state', { runId: rec.id, state: 'running', message: null });
    const out = await executeRun({
      runId: rec.id,
      plan: r.first.plan,
      agents: farm.agents,
      identity: farm.coordinator,
      sinkHost: await addressTowards(farm.agents[0]!.host, farm.agents[0]!.port),
      source,
      frames: req.frames,
      window: req.window,
      link: farm.link,
      checker,
      recorder: rec,
      labels: req.labels,
      events: req.events ?? null,
      log: req.log,
      supervise: (c) => {
        supervision = supervise({
          runId: rec.id,
          coordinator: c,
          targets: r.targets.targets,
          tls: farm.coordinator.tls,
          chaos: r.chaos,
          uplink: farm.uplink,
          outageLimitS: req.outageLimitS ?? OUTAGE_LIMIT_S,
          model: r.m.pm,
          plan: r.plan,
          farm: r.planning,
          materialise: async (p) => (await r.deploy(p)).plan,
          recorder: rec,
          events: req.events ?? null,
          log: req.log,
          say: req.say,
          onPlan: r.showPlan,
          onSeated: (board) => power.join(board),
          ...(r.membership ? { membership: r.membership } : {}),
        });
        r.grown.supervision = supervision;
        return supervision;
      },
      onStarted: (c) => {
        if (req.signal?.aborted) c.stop();
        stopOnAbort = () => c.stop();
        req.signal?.addEventListener('abort', stopOnAbort, { once: true });
        return power.start(c);
      },
      onChecks: (c) => (checks = c),
      onMetrics: (mx) => {
        power.observe(mx);
        req.onProgress?.({
          completed: mx.completed,
          recorded: rec.handed,
          checked: checks?.checked ?? null,
        });
      },
      onOutput: req.onOutput,
    });
    const energy = await power.finish(out.window, out.completed);
    await (supervision as Supervision | null)?.stop();
    const faults = (supervision as Supervision | null)?.faults.list ?? [];
    const report = reportOf(rec.id, out, r.plan, farm.emulated, faults, energy);
    await recordEnd(req, rec, report, out);
    return report;
  } catch (err) {
    await recordFailure(req, rec, power, err);
    throw err;
  } finally {
    if (stopOnAbort) req.signal?.removeEventListener('abort', stopOnAbort);
    await (supervision as Supervision | null)?.stop();
    await checker?.close();
  }
}

function reportOf(
  runId: string,
  out: ExecuteOutcome,
  plan: Plan,
  emulated: boolean,
  faults: RunFault[],
  energy: RunEnergy | null,
): RunReport {
  const clean =
    out.lost === 0 && out.duplicated === 0 && out.mismatched === 0 && out.agentsLeft.length === 0;
  return {
    runId,
    state: clean ? 'done' : 'failed',
    ips: out.ips,
    window: recordedWindow(out.window, out.startedAtMs),
    shortfall: out.shortfall,
    predictedIps: plan.prediction.ips,
    latencyMs: out.latencyMs,
    frames: {
      sent: out.sent,
      completed: out.completed,
      lost: out.lost,
      duplicated: out.duplicated,
      mismatched: out.mismatched,
    },
    devices: out.devices.map((d) => ({
      id: d.id,
      profile: d.profile,
      utilisation: d.utilisation,
      computeMs: d.computeMs,
      bytesIn: d.bytesIn,
      bytesOut: d.bytesOut,
      emulated: d.emulated,
    })),
    maxAbsDiff: out.maxAbsDiff,
    emulated,
    agentsLeft: out.agentsLeft,
    emulationOverruns: out.emulationOverruns,
    faults,
    energy,
  };
}

/** report.json, run.json's end state and the app's run/state for a run that ran to its end. */
async function recordEnd(
  req: RunRequest,
  rec: RunRecorder,
  report: RunReport,
  out: ExecuteOutcome,
): Promise<void> {
  await rec.writeFile('report.json', `${JSON.stringify(report, null, 2)}\n`);
  const message =
    report.state === 'done'
      ? null
      : `${out.agentsLeft.length ? `${out.agentsLeft.join(', ')} left the run; ` : ''}lost ${out.lost}, duplicated ${out.duplicated}, mismatched ${out.mismatched}`;
  const state = report.state === 'done' ? (out.stopped ? 'stopped' : 'done') : 'failed';
  await rec.finish(state, {
    completed: out.completed,
    ips: out.ips,
    window: report.window,
    shortfall: out.shortfall,
    maxAbsDiff: out.maxAbsDiff,
    message,
    ...(report.energy ? { energy: report.energy } : {}),
    ...(report.faults.length ? { faults: report.faults } : {}),
  });
  req.events?.emit('run/state', { runId: rec.id, state, message });
}

/** A run that failed on the way: what the meters saw up to the failure is part of its record. */
async function recordFailure(
  req: RunRequest,
  rec: RunRecorder,
  power: RunPower,
  err: unknown,
): Promise<void> {
  const message =
    err instanceof AppError ? err.message : `internal error: ${(err as Error).message}`;
  const energy = await power.finish(null, 0).catch(() => null);
  await rec.finish('failed', { message, ...(energy ? { energy } : {}) });
  req.events?.emit('run/state', { runId: rec.id, state: 'failed', message });
}
