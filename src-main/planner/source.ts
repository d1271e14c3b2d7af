// The planner's model from the model toolkit's inspection (`mchair model inspect --json` has the
// same shape), so the planner reads any ONNX CNN the toolkit can cost.
import { byteSize } from '../../remote-agent/src/protocol/index';
import type { ModelInspection } from '../model/index';
import { inspectModel } from '../model/index';
import { openModel } from '../model/source';
import type { PlannerModel } from './layers';

export function plannerModelOf(name: string, r: ModelInspection): PlannerModel {
  return {
    name,
    inputName: r.input.name,
    inputBytes: byteSize(r.input),
    layers: r.layers,
  };
}

/** A zoo name or an ONNX file, ready to plan. */
export function loadPlannerModel(ref: string): PlannerModel {
  const model = openModel(ref);
  return plannerModelOf(model.name, inspectModel(model));
}
