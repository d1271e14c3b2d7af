// The planner: the best data/model/pipeline-parallel plan of a CNN for a farm, its prediction and
// explanation, the paper's presets, and re-planning when devices come and go.
//
// API (other areas import only from here):
//   loadPlannerModel(ref): PlannerModel                 zoo name or ONNX file, costed per layer
//   plannerModelOf(name, inspectModel(model)): PlannerModel
//   farmFromSpec('pi3:6,pi4:2') | farmFromFile(json, where): Farm
//   planModel(model, farm, { objective, maxLatencyMs, top }): PlanResult   best plan first
//   planModelAsync(model, farm, req, onProgress, signal): Promise<PlanResult>   the same, cancellable
//   comparePlans(best, alternative): how it differs and why it ranks lower
//   presetPlan('paper-6', model, farm): Plan           the paper's hand-made distribution
//   predictPlan(model, plan, farm): Plan                re-evaluates a plan (e.g. read from a file)
//   replan(model, current, farm, request): Replan       the musical chair: new device set
//   BUILTIN_PROFILES, builtInProfile(id)                device profiles (resources/profiles)
import { InputError } from '../contract/errors';
import type { Plan, PlanObjective } from '../contract/plan';
import { CostModel, type Layout } from './cost';
import type { Farm } from './farm';
import { analyseChain, type PlannerModel } from './layers';
import { toPlan } from './plan';
import { presetLayout, type PresetId } from './presets';
import { search, searchAsync, type SearchProgress, type SearchResult } from './search';

export { BUILTIN_PROFILES, BUILTIN_MEDIA, builtInProfile, BoardProfile, Medium } from './profile';
export {
  farmFromSpec,
  farmFromFile,
  changeFarm,
  FarmFile,
  type Farm,
  type FarmBoard,
} from './farm';
export { PRESET_IDS, PRESET_DEVICES, type PresetId } from './presets';
export { loadPlannerModel, plannerModelOf } from './source';
export { comparePlans } from './compare';
export { SearchStopped, type SearchProgress } from './search';
export type { PlannerModel, PlannerLayer } from './layers';

/**
 * Bytes per frame of every tensor a stage may read or write (the model input included), from the
 * model's inspected layers: what the plan diagram writes on its links.
 */
export function tensorBytesOf(
  model: PlannerModel,
  layers: readonly { outputs: readonly string[]; activationBytes: number }[],
): Record<string, number> {
  const bytes: Record<string, number> = { [model.inputName]: model.inputBytes };
  for (const l of layers) for (const out of l.outputs) bytes[out] = l.activationBytes;
  return bytes;
}

export interface PlanRequest {
  readonly objective?: PlanObjective;
  readonly maxLatencyMs?: number;
  /** How many plans to return, best first. */
  readonly top?: number;
  /** Most units the exact programme handles before grouping devices (tests lower it). */
  readonly maxUnits?: number;
}

export interface PlanResult {
  readonly plans: readonly Plan[];
  /** Exact optimum of the cost model (every device its own unit), or the grouped heuristic. */
  readonly method: 'exact' | 'heuristic';
  readonly millis: number;
}

const costModels = new WeakMap<PlannerModel, CostModel>();

/** One cost model per planner model: its per-profile tables are reused across calls. */
function costOf(model: PlannerModel): CostModel {
  let c = costModels.get(model);
  if (!c) {
    c = new CostModel(analyseChain(model));
    costModels.set(model, c);
  }
  return c;
}

function searchOptions(req: PlanRequest) {
  return {
    objective: req.objective ?? 'ips',
    top: req.top ?? 1,
    ...(req.maxLatencyMs !== undefined ? { maxLatencySec: req.maxLatencyMs / 1000 } : {}),
    ...(req.maxUnits !== undefined ? { maxUnits: req.maxUnits } : {}),
  };
}

function planResult(
  model: PlannerModel,
  farm: Farm,
  req: PlanRequest,
  r: SearchResult,
): PlanResult {
  if (r.candidates.length === 0) {
    throw new InputError(
      req.maxLatencyMs !== undefined
        ? `no plan of ${model.name} on this farm finishes a frame within ${req.maxLatencyMs} ms`
        : `no plan of ${model.name} fits this farm's memory budgets`,
    );
  }
  const cost = costOf(model);
  const objective = req.objective ?? 'ips';
  return {
    plans: r.candidates.map((c) => toPlan(cost, c.layout, farm, { origin: 'auto', objective })),
    method: r.exact ? 'exact' : 'heuristic',
    millis: r.millis,
  };
}

export function planModel(model: PlannerModel, farm: Farm, req: PlanRequest = {}): PlanResult {
  return planResult(model, farm, req, search(costOf(model), farm, searchOptions(req)));
}

/**
 * planModel that gives the event loop a turn between the search's steps, tells `onProgress`
 * where it is, and stops with SearchStopped once `signal` is aborted.
 */
export async function planModelAsync(
  model: PlannerModel,
  farm: Farm,
  req: PlanRequest,
  onProgress: (p: SearchProgress) => void,
  signal?: AbortSignal,
): Promise<PlanResult> {
  const r = await searchAsync(costOf(model), farm, searchOptions(req), onProgress, signal);
  return planResult(model, farm, req, r);
}

export function presetPlan(id: PresetId, model: PlannerModel, farm: Farm): Plan {
  const cost = costOf(model);
  return toPlan(cost, presetLayout(id, cost.chain, farm), farm, { origin: id, objective: 'ips' });
}

/** The layout a plan document describes, on this farm's devices. */
export function layoutOf(model: PlannerModel, plan: Plan, farm: Farm): Layout {
  const cost = costOf(model);
  const layers = model.layers;
  const byName = new Map(layers.map((l, i) => [l.name, i]));
  const byId = new Map(farm.devices.map((d) => [d.id, d]));
  if (plan.model !== model.name)
    throw new InputError(`the plan is for ${plan.model}, not ${model.name}`);
  return plan.stages.map((s) => {
    const from = byName.get(s.firstLayer);
    const last = byName.get(s.lastLayer);
    if (from === undefined || last === undefined) {
      throw new InputError(
        `plan stage ${s.id}: layer "${from === undefined ? s.firstLayer : s.lastLayer}" is not in ${model.name}`,
      );
    }
    const channels = cost.chain.channels.get(from) ?? 1;
    return {
      from,
      to: last + 1,
      parts: s.parts.map((p) => ({
        share: p.channels ? (p.channels[1] - p.channels[0]) / channels : 1,
        ...(p.channels ? { channels: p.channels } : {}),
        devices: p.devices.map((id) => {
          const d = byId.get(id);
          if (!d) throw new InputError(`plan device "${id}" is not in the farm`);
          return d;
        }),
      })),
    };
  });
}

/** A plan evaluated afresh on a farm (its prediction recomputed); `mchair run` fills predictedIps from it. */
export function predictPlan(model: PlannerModel, plan: Plan, farm: Farm): Plan {
  return toPlan(costOf(model), layoutOf(model, plan, farm), farm, {
    origin: plan.origin,
    objective: plan.objective,
  });
}

export interface Replan {
  /** The plan to run on the new device set. */
  readonly plan: Plan;
  /** False when the current plan, without the devices that left, is as good: nothing to redeploy. */
  readonly switchPlan: boolean;
  /** One sentence for the run's record: what changed and why this plan. */
  readonly why: string;
}

/**
 * The musical chair: devices left or joined (`farm` is the new set). The current plan keeps
 * running if it still covers every part and the best plan for the new set is not at least 2%
 * better; otherwise the best plan replaces it at the next frame boundary.
 */
export function replan(
  model: PlannerModel,
  current: Plan,
  farm: Farm,
  req: PlanRequest = {},
): Replan {
  const cost = costOf(model);
  const objective = req.objective ?? current.objective;
  const best = planModel(model, farm, { ...req, objective, top: 1 }).plans[0]!;
  const present = new Set(farm.devices.map((d) => d.id));
  const lost = current.devices.filter((d) => !present.has(d.device)).map((d) => d.device);
  const joined = farm.devices
    .filter((d) => !current.devices.some((c) => c.device === d.id))
    .map((d) => d.id);
  const change = [
    lost.length ? `${lost.join(', ')} left` : '',
    joined.length ? `${joined.join(', ')} joined` : '',
  ]
    .filter(Boolean)
    .join('; ');
  // The current plan without the lost devices, if every part still has a replica.
  const kept = {
    ...current,
    stages: current.stages.map((s) => ({
      ...s,
      parts: s.parts.map((p) => ({ ...p, devices: p.devices.filter((d) => present.has(d)) })),
    })),
  };
  const keepable = kept.stages.every((s) => s.parts.every((p) => p.devices.length > 0));
  if (keepable) {
    const degraded = toPlan(cost, layoutOf(model, kept as Plan, farm), farm, {
      origin: current.origin,
      objective,
    });
    if (best.prediction.ips < degraded.prediction.ips * 1.02) {
      return {
        plan: degraded,
        switchPlan: false,
        why: `${change || 'no change'}: the current plan still runs at ${degraded.prediction.ips.toFixed(2)} IPS and no other plan is 2% better`,
      };
    }
  }
  return {
    plan: best,
    switchPlan: true,
    why: `${change || 'no change'}: ${keepable ? 'a better plan exists' : 'a part of the current plan has no device left'}; new plan at ${best.prediction.ips.toFixed(2)} IPS (bottleneck ${best.prediction.bottleneck.where})`,
  };
}
