// Where a model comes from on the command line and in plans: a zoo name or an ONNX file.
import { existsSync, statSync } from 'node:fs';
import { Plan } from '../contract/plan';
import { expectOnnx, plainIssues } from '../files/kind';
import { ModelInvalidError, PartitionError } from './errors';
import { analyseModel } from './graph';
import { loadModel } from './load';
import type { OnnxModel } from './onnx';
import type { PartitionSpec } from './partition';
import { buildZooModel, isZooName, ZOO_NAMES } from './zoo';

/**
 * A zoo name (unless a file of that name is in the working folder) or a path to an ONNX file
 * (named `name`, else after the file), with its graph and shapes read and checked; the weights are
 * made or read only when something needs their bytes. Costing, planning and `model inspect` all
 * open models here.
 */
export function openModel(ref: string, opts: { seed?: number; name?: string } = {}): OnnxModel {
  if (isZooName(ref) && !statSync(ref, { throwIfNoEntry: false })?.isFile())
    return buildZooModel(ref, opts);
  if (!existsSync(ref)) {
    throw new ModelInvalidError(
      `${ref}: no such file, and not a zoo model (${ZOO_NAMES.join(', ')})`,
    );
  }
  expectOnnx('--model', ref); // a plan or a farm file given as the model is named for what it is
  const model = loadModel(ref, { name: opts.name });
  analyseModel(model); // refuse unreadable graphs here, with the file's name
  return model;
}

/**
 * The cuts and splits a plan describes, checked against the model: stage i reads stage i-1's
 * output, the first reads the model input and the last ends at the model output.
 */
export function specFromPlan(model: OnnxModel, planJson: unknown, file = 'plan'): PartitionSpec {
  const parsed = Plan.safeParse(planJson);
  if (!parsed.success) throw new PartitionError(plainIssues(file, 'plan', planJson, parsed.error));
  const plan = parsed.data;
  const a = analyseModel(model);
  plan.stages.forEach((s, i) => {
    const expected = i === 0 ? a.input.name : plan.stages[i - 1]!.output;
    if (s.input !== expected)
      throw new PartitionError(
        `plan stage ${s.id} reads "${s.input}" but the tensor before it is "${expected}"`,
      );
  });
  const last = plan.stages[plan.stages.length - 1]!;
  if (last.output !== a.output.name) {
    throw new PartitionError(
      `plan ends at "${last.output}" but the model's output is "${a.output.name}"`,
    );
  }
  return {
    cuts: plan.stages.slice(0, -1).map((s) => s.output),
    splits: plan.stages.flatMap((s, i) =>
      s.parts.length > 1
        ? [{ stage: i, parts: s.parts.length, channels: s.parts.map((p) => p.channels!) }]
        : [],
    ),
  };
}
