// `mchair run`: a model, a plan (a file, the planner's best, or one of the paper's presets) and
// a farm (an emulated one started for this run, or a farm file), then one recorded run with the
// figures the issue asks for: IPS after warm-up, the plan's predicted IPS, latency percentiles,
// frame accounting and per-device load. Every figure from an emulated farm says so.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, InputError, describeIssues } from '../contract/index';
import type { RunEnergy } from '../contract/energy';
import { Plan, rolesOf } from '../contract/plan';
import type { EventBus } from '../core/events';
import { readFarmFile, type OpenFarm } from '../farm/farmfile';
import type { Logger } from '../log';
import { encodeModel, inspectModel, partitionModel } from '../model/index';
import { openModel, specFromPlan } from '../model/source';
import type { OnnxModel } from '../model/onnx';
import {
  farmFromFile,
  farmFromSpec,
  planModel,
  plannerModelOf,
  predictPlan,
  presetPlan,
  PRESET_IDS,
  type Farm,
  type PlannerModel,
  type PresetId,
} from '../planner/index';
import { RunRecorder } from '../store/runs';
import { ResultChecker } from './check';
import type { CheckBehind } from './checkBehind';
import { executeRun } from './execute';
import { parseChaos } from './chaos';
import { OUTAGE_LIMIT_S } from './outage';
import { supervise, type Supervision } from './supervise';
import { addressTowards, farmTargets } from './targets';
import { boardsPlannerFarm, boardTargets, type RunBoards } from './boardFarm';
import { openBoards, openFarm } from './runFarm';
import type { RunFault, RunRepeat, RunWindow } from '../contract/index';
import { recordedWindow } from './stats';
import { runPower } from './power';
import type { PowerFlags } from '../power/index';
import { syntheticSource, type FrameSource } from './source';
import type { WireTensor } from '../../remote-agent/src/protocol/schema';

export interface RunRequest {
  /** A zoo name or an ONNX file, or a model already opened (`mchair classify`'s wrapped one). */
  model: string | OnnxModel;
  /** The model's class names: each recorded result then says its top-1 label and probability. */
  labels?: readonly string[];
  /** auto, a paper preset or a plan file (`--plan`), or a plan already made (the app, profile). */
  plan: string | Plan;
  emulate?: string;
  farmFile?: string;
  /** Provisioned boards of the lab's inventory: the plan's parts are pushed to them over SSH. */
  boards?: RunBoards;
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

export interface RunReport {
  runId: string;
  state: string;
  /** Over the measured window (after warm-up and the pipeline's fill); null when too short. */
  ips: number | null;
  window: RunWindow | null;
  /** Why there is no window, in words. */
  shortfall: string | null;
  predictedIps: number | null;
  latencyMs: { p50: number; p95: number; p99: number };
  frames: { sent: number; completed: number; lost: number; duplicated: number; mismatched: number };
  devices: Array<{
    id: string;
    profile: string | null;
    utilisation: number;
    computeMs: number;
    bytesIn: number;
    bytesOut: number;
    emulated: boolean;
  }>;
  maxAbsDiff: number | null;
  emulated: boolean;
  /** Devices that dropped out during the run (it then stopped feeding frames). */
  agentsLeft: string[];
  /**
   * Frames this machine computed slower than the emulated board would have: the emulated IPS
   * and latency are then pessimistic (a busy or slow laptop), never optimistic.
   */
  emulationOverruns: number;
  /** Board failures during the run and what it did about them (see runtime/faults.ts). */
  faults: RunFault[];
  /** Energy per inference from the run's meters (emulated ones on an emulated farm). */
  energy: RunEnergy | null;
}

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
  let json: unknown;
  try {
    json = JSON.parse(await readFile(ref, 'utf8'));
  } catch (err) {
    throw new InputError(
      `--plan: "${ref}" is not auto, ${PRESET_IDS.join(', ')} or a readable plan file (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const parsed = Plan.safeParse(json);
  if (!parsed.success) throw new InputError(describeIssues(ref, parsed.error.issues));
  return predictPlan(pm, parsed.data, farm);
}

/** The farm as the planner sees it, before any process starts. */
async function describeFarm(req: RunRequest): Promise<{ planner: Farm; file: OpenFarm | null }> {
  if (req.emulate !== undefined) return { planner: farmFromSpec(req.emulate), file: null };
  if (req.boards) return { planner: boardsPlannerFarm(req.boards.devices), file: null };
  if (req.farmFile === undefined)
    throw new InputError('give --emulate SPEC, --farm FILE or --devices NAMES');
  const file = await readFarmFile(req.farmFile);
  return { planner: farmFromFile(file.json, req.farmFile), file };
}

export async function runModel(req: RunRequest): Promise<RunReport> {
  const model = typeof req.model === 'string' ? openModel(req.model, { seed: 1 }) : req.model;
  const inspection = inspectModel(model);
  const pm = plannerModelOf(model.name, inspection);
  // Plan first (cheap, and its errors are the user's to fix) before any process starts.
  const described = await describeFarm(req);
  const plan = await choosePlan(req.plan, pm, described.planner);
  req.onPlan?.(plan);
  const chaos = req.chaos
    ? parseChaos(
        req.chaos,
        described.planner.devices.map((d) => d.id),
      )
    : [];
  // Boards a cut will hit run in namespaces of their own; an outage of this machine's link puts
  // every board there, so their common uplink can go down while they still reach each other.
  const cut = chaos.some((a) => a.kind === 'outage')
    ? described.planner.devices.map((d) => d.id)
    : [...new Set(chaos.filter((a) => a.kind === 'cut').map((a) => a.device))];
  const farm = req.boards
    ? await openBoards(req.boards, req.labDir ?? req.dataDir, req.signal, req.say)
    : await openFarm(described.planner, described.file, cut, req.say);
  const targets = farm.endpoints
    ? farmTargets(
        farm.endpoints,
        described.planner,
        farm.own ? { threads: 1, netns: farm.netns } : null,
      )
    : boardTargets(farm.agents);
  let supervision: Supervision | null = null;
  let checks: CheckBehind | null = null;
  try {
    const rec = await RunRecorder.create(req.dataDir, {
      kind: 'run',
      model: model.name,
      frames: req.frames,
      ...(req.repeat ? { repeat: req.repeat } : {}),
    });
    req.onRunId?.(rec.id, inspection.input);
    req.say?.(
      `run ${rec.id}: ${model.name}, plan ${plan.origin} (predicted ${plan.prediction.ips.toFixed(2)} IPS), ${req.frames} frames${farm.emulated ? ' on an emulated farm' : ''}`,
    );
    await rec.writeFile('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
    const runParts = join(rec.dir, 'parts');
    const manifest = await partitionModel(model, specFromPlan(model, plan), runParts);
    await rec.writeFile('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    const assignmentOf = (p: Plan): string[][][] =>
      p.stages.map((s) => s.parts.map((x) => x.devices));
    const placed = await farm.place(manifest, runParts, assignmentOf(plan));
    // Each part's predicted ms a frame on its board at full speed (a throttled board multiplies
    // it itself): agents compute quick parts on their wire thread, the others on a thread of
    // their own, and emulated boards hold each frame that long.
    const timesOf = (p: Plan) => {
      const expectMs: Record<string, number> = {};
      for (const d of predictPlan(pm, p, described.planner).devices)
        for (const r of rolesOf(d)) expectMs[`${d.device}/${r.part}`] = r.frameSeconds * 1000;
      return { expectMs, holdMs: farm.emulated ? expectMs : {} };
    };
    const times = timesOf(plan);
    // A new plan after a fault: partitions cut afresh only when its stages differ, and placed
    // every time, since the same parts may now go to other boards (what is there is skipped).
    const partitions = new Map([
      [JSON.stringify(specFromPlan(model, plan)), { manifest, dir: runParts }],
    ]);
    const materialise = async (p: Plan) => {
      const spec = specFromPlan(model, p);
      const key = JSON.stringify(spec);
      let partition = partitions.get(key);
      if (!partition) {
        const dir = join(rec.dir, `parts-${partitions.size}`);
        partition = { manifest: await partitionModel(model, spec, dir), dir };
        partitions.set(key, partition);
      }
      const assignment = assignmentOf(p);
      return {
        manifest: await farm.place(partition.manifest, partition.dir, assignment),
        assignment,
        ...timesOf(p),
      };
    };
    const checker = req.check
      ? await ResultChecker.create(encodeModel(model), manifest.output)
      : null;
    const source = req.source ? await req.source(manifest.input) : syntheticSource(manifest.input);
    const power = runPower(req.power, {
      runDir: rec.dir,
      log: req.log,
      farm: described.planner,
      emulated: farm.emulated,
      // Only a caller that listens (the app) pays for the live batches.
      live: req.events && ((p) => req.events?.emit('run/power', { runId: rec.id, ...p })),
    });
    try {
      await rec.setState('running');
      req.events?.emit('run/state', { runId: rec.id, state: 'running', message: null });
      const out = await executeRun({
        runId: rec.id,
        plan: {
          manifest: placed,
          assignment: assignmentOf(plan),
          ...times,
        },
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
        supervise: (c) =>
          (supervision = supervise({
            runId: rec.id,
            coordinator: c,
            targets: targets.targets,
            tls: farm.coordinator.tls,
            chaos,
            uplink: farm.uplink,
            outageLimitS: req.outageLimitS ?? OUTAGE_LIMIT_S,
            model: pm,
            plan,
            farm: described.planner,
            materialise,
            recorder: rec,
            events: req.events ?? null,
            log: req.log,
            say: req.say,
          })),
        onStarted: (c) => {
          if (req.signal?.aborted) c.stop();
          req.signal?.addEventListener('abort', () => c.stop(), { once: true });
          return power.start(c);
        },
        onChecks: (c) => (checks = c),
        onMetrics: (m) => {
          power.observe(m);
          req.onProgress?.({
            completed: m.completed,
            recorded: rec.handed,
            checked: checks?.checked ?? null,
          });
        },
        onOutput: req.onOutput,
      });
      const energy = await power.finish(out.window, out.completed);
      await (supervision as Supervision | null)?.stop();
      const faults = (supervision as Supervision | null)?.faults.list ?? [];
      const report: RunReport = {
        runId: rec.id,
        state:
          out.lost === 0 &&
          out.duplicated === 0 &&
          out.mismatched === 0 &&
          out.agentsLeft.length === 0
            ? 'done'
            : 'failed',
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
        emulated: farm.emulated,
        agentsLeft: out.agentsLeft,
        emulationOverruns: out.emulationOverruns,
        faults,
        energy,
      };
      await rec.writeFile('report.json', `${JSON.stringify(report, null, 2)}\n`);
      const message =
        report.state === 'done'
          ? null
          : `${out.agentsLeft.length ? `${out.agentsLeft.join(', ')} left the run; ` : ''}lost ${out.lost}, duplicated ${out.duplicated}, mismatched ${out.mismatched}`;
      await rec.finish(report.state === 'done' ? (out.stopped ? 'stopped' : 'done') : 'failed', {
        completed: out.completed,
        ips: out.ips,
        window: report.window,
        shortfall: out.shortfall,
        maxAbsDiff: out.maxAbsDiff,
        message,
        ...(energy ? { energy } : {}),
        ...(faults.length ? { faults } : {}),
      });
      req.events?.emit('run/state', {
        runId: rec.id,
        state: report.state === 'done' ? (out.stopped ? 'stopped' : 'done') : 'failed',
        message,
      });
      return report;
    } catch (err) {
      const message =
        err instanceof AppError ? err.message : `internal error: ${(err as Error).message}`;
      // Keep what the meters saw up to the failure: it is part of the run's record.
      const energy = await power.finish(null, 0).catch(() => null);
      await rec.finish('failed', { message, ...(energy ? { energy } : {}) });
      req.events?.emit('run/state', { runId: rec.id, state: 'failed', message });
      throw err;
    } finally {
      await (supervision as Supervision | null)?.stop();
      await checker?.close();
    }
  } finally {
    await targets.stop();
    await farm.stop();
  }
}
