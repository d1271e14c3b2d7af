// A run's plans made deployable: each plan's partition (one ONNX file per part, cut once per
// distinct stage layout) placed for the boards that hold its parts, and made into the stages the
// coordinator deploys together with those boards, plus the times each part is expected to take.
import { join } from 'node:path';
import type { Manifest } from '../contract/manifest';
import { rolesOf, type Plan } from '../contract/plan';
import { partitionModel } from '../model/index';
import type { OnnxModel } from '../model/onnx';
import { specFromPlan } from '../model/source';
import { predictPlan, type Farm, type PlannerModel } from '../planner/index';
import { deploymentOf, type RunPlan } from './deployment';
import type { ReadyFarm } from './runFarm';

export interface Deployed {
  /** The partition as cut (before placing), as the run records it in manifest.json. */
  manifest: Manifest;
  plan: RunPlan;
}

/**
 * Each part's predicted ms a frame on its board at full speed (a throttled board multiplies it
 * itself): agents compute quick parts on their wire thread, the others on a thread of their own,
 * and emulated boards hold each frame that long. `costed` is the plan as predicted on the farm at
 * nominal speed.
 */
function timesOf(costed: Plan, emulated: boolean): Pick<RunPlan, 'expectMs' | 'holdMs'> {
  const expectMs: Record<string, number> = {};
  for (const d of costed.devices)
    for (const r of rolesOf(d)) expectMs[`${d.device}/${r.part}`] = r.frameSeconds * 1000;
  return { expectMs, holdMs: emulated ? expectMs : {} };
}

/**
 * Returns what deploys a plan of this run. A new plan after a fault has its partitions cut afresh
 * only when its stages differ, and is placed every time, since the same parts may now go to other
 * boards (what is there is skipped). `costed` is the plan predicted at the farm's nominal speed:
 * the run's own plan is (the planner made it for this farm); a new plan after a fault was costed
 * on the farm as it was then (a slowed board at its slower speed), so it is costed again here.
 */
export function deployments(o: {
  model: OnnxModel;
  pm: PlannerModel;
  /** The whole farm at its built-in profiles' speed, as it is now (boards join while it runs). */
  nominal: () => Farm;
  farm: ReadyFarm;
  runDir: string;
}): (plan: Plan, costed?: Plan) => Promise<Deployed> {
  const partitions = new Map<string, { manifest: Manifest; dir: string }>();
  return async (plan, costed = predictPlan(o.pm, plan, o.nominal())) => {
    const spec = specFromPlan(o.model, plan);
    const key = JSON.stringify(spec);
    let partition = partitions.get(key);
    if (!partition) {
      const dir = join(o.runDir, partitions.size === 0 ? 'parts' : `parts-${partitions.size}`);
      partition = { manifest: await partitionModel(o.model, spec, dir), dir };
      partitions.set(key, partition);
    }
    const assignment = plan.stages.map((s) => s.parts.map((x) => x.devices));
    const placed = await o.farm.place(partition.manifest, partition.dir, assignment);
    return {
      manifest: partition.manifest,
      plan: deploymentOf(placed, assignment, o.farm.agents, timesOf(costed, o.farm.emulated)),
    };
  };
}
