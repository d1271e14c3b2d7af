// The planner's model from the model toolkit's inspection (`mchair model inspect --json` has the
// same shape), so the planner reads any ONNX CNN the toolkit can cost.
import type { ModelInspection } from '../model/index';
import { inspectModel } from '../model/index';
import { openModel } from '../model/source';
import type { PlannerModel } from './layers';

const DTYPE_BYTES: Record<string, number> = {
  uint8: 1,
  int8: 1,
  float16: 2,
  float32: 4,
  int32: 4,
  int64: 8,
  float64: 8,
};

export function plannerModelOf(name: string, r: ModelInspection): PlannerModel {
  const elems = r.input.shape.reduce((a, b) => a * b, 1);
  return {
    name,
    inputName: r.input.name,
    inputBytes: elems * (DTYPE_BYTES[r.input.dtype] ?? 4),
    layers: r.layers,
  };
}

/** A zoo name or an ONNX file, ready to plan. */
export function loadPlannerModel(ref: string): PlannerModel {
  const model = openModel(ref);
  return plannerModelOf(model.name, inspectModel(model));
}
