// Where a model comes from on the command line and in plans: a zoo name or an ONNX file. And the
// import step that brings an exporter's float NCHW model into the farm's uint8 NHWC convention.
import { existsSync, statSync } from 'node:fs';
import { Plan } from '../contract/plan';
import { ModelInvalidError, PartitionError } from './errors';
import { analyseModel } from './graph';
import { loadModel } from './load';
import type { OnnxModel } from './onnx';
import type { PartitionSpec } from './partition';
import { buildZooModel, isZooName, preprocessPrefix, valueInfo, ZOO_NAMES } from './zoo';

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
  const model = loadModel(ref, { name: opts.name });
  analyseModel(model); // refuse unreadable graphs here, with the file's name
  return model;
}

/**
 * Prepares an exporter's model for the farm: checks that every operator is supported and, with
 * `uint8Input`, replaces its float NCHW input [1,3,H,W] with uint8 NHWC [1,H,W,3] frames and the
 * zoo's preprocessing prefix (Cast, ImageNet mean/std, Transpose).
 */
export function importModel(
  model: OnnxModel,
  opts: { uint8Input?: boolean; name?: string } = {},
): OnnxModel {
  const a = analyseModel(model);
  const name = opts.name ?? model.name;
  if (!opts.uint8Input) return { name, proto: model.proto };
  const { input } = a;
  const [n, c, h, w] = input.shape;
  if (input.dtype !== 'float32' || input.shape.length !== 4 || c !== 3) {
    throw new ModelInvalidError(
      `--uint8-input needs a float32 NCHW input [1,3,H,W]; "${input.name}" is ${input.dtype} [${input.shape.join(',')}]`,
    );
  }
  const graph = model.proto.graph!;
  const taken = new Set([...a.tensors.keys(), ...(graph.node ?? []).map((x) => x.name ?? '')]);
  const frameName = taken.has('input') ? 'input_uint8' : 'input';
  const prefix = preprocessPrefix(frameName, input.name);
  const clash = [
    ...prefix.nodes.map((x) => x.name!),
    ...prefix.initializers.map((t) => t.name!),
  ].find((x) => taken.has(x));
  if (clash)
    throw new ModelInvalidError(
      `the model already has a tensor or node named "${clash}"; cannot add the preprocessing prefix`,
    );
  const proto = {
    ...model.proto,
    graph: {
      ...graph,
      node: [...prefix.nodes, ...(graph.node ?? [])],
      initializer: [...prefix.initializers, ...(graph.initializer ?? [])],
      input: [
        valueInfo(frameName, 'uint8', [n!, h!, w!, 3]),
        ...(graph.input ?? []).filter((i) => i.name !== input.name),
      ],
      valueInfo: (graph.valueInfo ?? []).filter((v) => v.name !== input.name),
    },
  };
  const imported = { name, proto };
  analyseModel(imported);
  return imported;
}

/**
 * The cuts and splits a plan describes, checked against the model: stage i reads stage i-1's
 * output, the first reads the model input and the last ends at the model output.
 */
export function specFromPlan(model: OnnxModel, planJson: unknown): PartitionSpec {
  const parsed = Plan.safeParse(planJson);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PartitionError(
      `plan: ${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}`,
    );
  }
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
