// The stages of a hand-made pipeline plan, one board per stage, for the tests that pin which
// board runs which layers (the planner's own best would often replicate the whole model instead).
import type { PlanStage } from '../../../src-main/contract/plan';

/** Each entry: the board, then the stage's first and last layer and its input and output tensor. */
export function pipelineStages(
  stages: ReadonlyArray<readonly [string, string, string, string, string]>,
): PlanStage[] {
  return stages.map(([device, firstLayer, lastLayer, input, output], i) => ({
    id: `s${i}`,
    firstLayer,
    lastLayer,
    input,
    output,
    parts: [{ id: `s${i}.p0`, devices: [device] }],
  }));
}
