// The analysed graph every other module works on: nodes in dependency order (cycles refused),
// constants folded (so a PyTorch flatten computed with Shape/Gather/Unsqueeze/Concat becomes a
// plain Reshape), every tensor's type and shape, and each layer's cost. Layers are the nodes that
// still compute after folding and contribute to the output.
import { ModelInvalidError } from './errors';
import {
  type DType,
  dtypeFromCode,
  dtypeSize,
  type NodeProto,
  numel,
  type OnnxModel,
  type TensorProto,
  type ValueInfoProto,
  tensorDims,
  tensorValues,
  toNumber,
  valuesTensor,
} from './onnx';
import { constantNodeValue } from './ops';
import { OpContext, type TensorInfo } from './opContext';
import { ruleFor } from './registry';

export type { TensorInfo } from './opContext';

export interface NamedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Layer {
  /** Position among the analysis's layers (graph order). */
  readonly index: number;
  /** The node's name (generated as `<Op>_<n>` when the file left it empty). */
  readonly name: string;
  readonly op: string;
  /** Tensor names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly node: NodeProto;
  readonly macs: number;
  /** Weights this layer reads (float constants), counted where first used. */
  readonly params: number;
  readonly paramBytes: number;
  /** Bytes of the layer's outputs. */
  readonly activationBytes: number;
}

export interface GraphAnalysis {
  readonly model: OnnxModel;
  /** The default-domain opset the model imports. */
  readonly opset: number;
  readonly input: NamedTensor;
  readonly output: NamedTensor;
  readonly layers: readonly Layer[];
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Initializers, Constant-node values and folded results, by tensor name. */
  readonly constants: ReadonlyMap<string, TensorProto>;
  readonly producer: ReadonlyMap<string, Layer>;
  readonly consumers: ReadonlyMap<string, readonly Layer[]>;
}

/** Sizes above this are not a CNN's tensors but a broken or hostile file. */
const MAX_ELEMENTS = 2 ** 31;
const MAX_DIM = 1 << 24;

const cache = new WeakMap<OnnxModel, GraphAnalysis>();

/** Analyses the model once (cached per model object). */
export function analyseModel(model: OnnxModel): GraphAnalysis {
  let a = cache.get(model);
  if (!a) {
    a = analyse(model);
    cache.set(model, a);
  }
  return a;
}

function checkShape(where: string, shape: readonly number[]): void {
  if (
    shape.some((d) => !Number.isInteger(d) || d < 1 || d > MAX_DIM) ||
    numel(shape) > MAX_ELEMENTS
  ) {
    throw new ModelInvalidError(`${where}: absurd shape [${shape.join(',')}]`);
  }
}

function valueInfoType(vi: ValueInfoProto, where: string): TensorInfo {
  const tt = vi.type?.tensorType;
  if (!tt) throw new ModelInvalidError(`${where} "${vi.name}" is not a tensor`);
  const dtype = dtypeFromCode(tt.elemType, `${where} "${vi.name}"`);
  const dims = tt.shape?.dim ?? [];
  const shape = dims.map((d, i) => {
    const v = d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : 0;
    if (v > 0) return v;
    // A symbolic or unset batch dim: the farm runs one frame at a time.
    if (i === 0) return 1;
    throw new ModelInvalidError(
      `${where} "${vi.name}" has an unknown dim ${i} (${d.dimParam || '?'}); export the model with a fixed input size`,
    );
  });
  return { dtype, shape };
}

function analyse(model: OnnxModel): GraphAnalysis {
  const graph = model.proto.graph!;
  const label = model.name;
  const opsetEntry = (model.proto.opsetImport ?? []).find(
    (o) => !o.domain || o.domain === 'ai.onnx',
  );
  // IR 2 files without an opset import mean opset 1.
  const opset = opsetEntry ? toNumber(opsetEntry.version) : 1;

  const constants = new Map<string, TensorProto>();
  const tensors = new Map<string, TensorInfo>();
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    const info = {
      dtype: dtypeFromCode(t.dataType, `initializer "${name}"`),
      shape: tensorDims(t),
    };
    constants.set(name, t);
    tensors.set(name, info);
  }

  // Old exporters (Caffe2, IR < 4) list the weights among the inputs too.
  const realInputs = (graph.input ?? []).filter((i) => !constants.has(i.name ?? ''));
  if (realInputs.length !== 1) {
    throw new ModelInvalidError(
      `${label}: has ${realInputs.length} inputs (${realInputs.map((i) => i.name).join(', ') || 'none'}); the toolkit handles single-input CNNs`,
    );
  }
  const inVi = realInputs[0]!;
  const inInfo = valueInfoType(inVi, 'input');
  checkShape(`${label}: input "${inVi.name}"`, inInfo.shape);
  const input: NamedTensor = { name: inVi.name ?? '', ...inInfo };
  tensors.set(input.name, inInfo);

  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new ModelInvalidError(
      `${label}: has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); the toolkit handles single-output CNNs`,
    );
  }
  const outputName = outputs[0]!.name ?? '';

  const nodes = graph.node ?? [];
  const names = uniqueNames(nodes);
  const order = topologicalOrder(label, nodes, names, new Set([input.name, ...constants.keys()]));

  const { folded, infos } = inferTypes(opset, nodes, names, order, constants, tensors);

  if (!tensors.has(outputName))
    throw new ModelInvalidError(`${label}: output "${outputName}" is not produced by any node`);
  if (constants.has(outputName))
    throw new ModelInvalidError(
      `${label}: output "${outputName}" is a constant; nothing to compute`,
    );

  const live = liveNodes(outputName, order, nodes, folded, constants);

  const { layers, producer, consumers } = layersOf(
    opset,
    layerOrder(order, nodes, live, constants),
    nodes,
    names,
    infos,
    constants,
    tensors,
  );
  const outInfo = tensors.get(outputName)!;
  return {
    model,
    opset,
    input,
    output: { name: outputName, ...outInfo },
    layers,
    tensors,
    constants,
    producer,
    consumers,
  };
}

/**
 * Walks the nodes in dependency order: infers every tensor's type into `tensors` and folds what
 * is constant into `constants` (both grow); returns the folded nodes and each node's output types.
 */
function inferTypes(
  opset: number,
  nodes: readonly NodeProto[],
  names: readonly string[],
  order: readonly number[],
  constants: Map<string, TensorProto>,
  tensors: Map<string, TensorInfo>,
): { folded: Set<number>; infos: Map<number, TensorInfo[]> } {
  const folded = new Set<number>();
  const infos = new Map<number, TensorInfo[]>();
  for (const idx of order) {
    const node = nodes[idx]!;
    const name = names[idx]!;
    const outs = node.output ?? [];
    if (node.opType === 'Constant' && (!node.domain || node.domain === 'ai.onnx')) {
      const v = constantNodeValue(node, name);
      const t = v.tensor
        ? { ...v.tensor, name: outs[0] }
        : valuesTensor(outs[0] ?? '', v.dtype, v.dims, v.values!);
      const info = { dtype: dtypeFromCode(t.dataType, `Constant "${name}"`), shape: tensorDims(t) };
      constants.set(outs[0] ?? '', t);
      tensors.set(outs[0] ?? '', info);
      folded.add(idx);
      continue;
    }
    const rule = ruleFor(node, name, idx);
    const ins = (node.input ?? []).map((n) => (n ? tensors.get(n)! : null));
    const ctx = new OpContext(node, name, opset, ins, (i) => {
      const n = node.input?.[i];
      const c = n ? constants.get(n) : undefined;
      return c && numel(tensorDims(c)) <= 4096 ? tensorValues(c) : null;
    });
    const outInfos = rule.infer(ctx);
    outInfos.forEach((o, i) =>
      checkShape(`node "${name}" (${node.opType}) output "${outs[i]}"`, o.shape),
    );
    const values = rule.fold?.(ctx, outInfos) ?? null;
    outs.forEach((o, i) => {
      if (!o) return;
      const info = outInfos[i] ?? ctx.fail(`has no type for output ${i}`);
      tensors.set(o, info);
      if (values) constants.set(o, valuesTensor(o, info.dtype, info.shape, values[i]!));
    });
    if (values) folded.add(idx);
    infos.set(idx, outInfos);
  }

  return { folded, infos };
}

/** The computing nodes the output depends on (folded constants are not computed). */
function liveNodes(
  outputName: string,
  order: readonly number[],
  nodes: readonly NodeProto[],
  folded: ReadonlySet<number>,
  constants: ReadonlyMap<string, TensorProto>,
): Set<number> {
  const producerIdx = new Map<string, number>();
  for (const idx of order) for (const o of nodes[idx]!.output ?? []) if (o) producerIdx.set(o, idx);
  const live = new Set<number>();
  const stack = [outputName];
  while (stack.length) {
    const t = stack.pop()!;
    const idx = producerIdx.get(t);
    if (idx === undefined || live.has(idx) || folded.has(idx)) continue;
    live.add(idx);
    for (const i of nodes[idx]!.input ?? []) if (i && !constants.has(i)) stack.push(i);
  }

  return live;
}

/** The layers in `order`, with their costs, and which layer makes and which read each tensor. */
function layersOf(
  opset: number,
  order: readonly number[],
  nodes: readonly NodeProto[],
  names: readonly string[],
  infos: ReadonlyMap<number, TensorInfo[]>,
  constants: ReadonlyMap<string, TensorProto>,
  tensors: ReadonlyMap<string, TensorInfo>,
): Pick<GraphAnalysis, 'layers' | 'producer' | 'consumers'> {
  const layers: Layer[] = [];
  const producer = new Map<string, Layer>();
  const consumers = new Map<string, Layer[]>();
  const counted = new Set<string>();
  for (const idx of order) {
    const node = nodes[idx]!;
    const name = names[idx]!;
    const rule = ruleFor(node, name, idx);
    const inputs = (node.input ?? []).map((n) => n ?? '');
    const outputsOf = (node.output ?? []).map((n) => n ?? '');
    const ins = inputs.map((n) => (n ? tensors.get(n)! : null));
    const ctx = new OpContext(node, name, opset, ins);
    const outInfos = infos.get(idx)!;
    let params = 0;
    let paramBytes = 0;
    for (const n of inputs) {
      const c = n ? constants.get(n) : undefined;
      if (!c || counted.has(n)) continue;
      const info = tensors.get(n)!;
      // int64 and bool constants are shapes, axes and indices; every other type is a weight,
      // a bias, or a quantized weight's scale and zero point (int8 weights one byte each).
      if (info.dtype === 'int64' || info.dtype === 'bool') continue;
      counted.add(n);
      params += numel(info.shape);
      paramBytes += numel(info.shape) * dtypeSize(info.dtype);
    }
    const layer: Layer = {
      index: layers.length,
      name,
      op: node.opType ?? '',
      inputs,
      outputs: outputsOf,
      node: { ...node, name },
      macs: rule.macs?.(ctx, outInfos) ?? 0,
      params,
      paramBytes,
      activationBytes: outputsOf.reduce(
        (s, o, i) => (o ? s + numel(outInfos[i]!.shape) * dtypeSize(outInfos[i]!.dtype) : s),
        0,
      ),
    };
    layers.push(layer);
    for (const o of outputsOf) if (o) producer.set(o, layer);
    for (const i of inputs) {
      if (!i || constants.has(i)) continue;
      const list = consumers.get(i) ?? [];
      list.push(layer);
      consumers.set(i, list);
    }
  }
  return { layers, producer, consumers };
}

/**
 * The live nodes in dependency order, with each node that reads only constants (a QDQ graph's
 * DequantizeLinear of a weight) moved right before its first consumer: in file order it may sit
 * far ahead, and its output would then cross every cut in between.
 */
function layerOrder(
  order: readonly number[],
  nodes: readonly NodeProto[],
  live: ReadonlySet<number>,
  constants: ReadonlyMap<string, TensorProto>,
): number[] {
  const constantFed = (idx: number): boolean =>
    (nodes[idx]!.input ?? []).every((i) => !i || constants.has(i));
  const waiting = new Map<string, number>();
  const out: number[] = [];
  for (const idx of order) {
    if (!live.has(idx)) continue;
    if (constantFed(idx)) {
      for (const o of nodes[idx]!.output ?? []) if (o) waiting.set(o, idx);
      continue;
    }
    for (const i of nodes[idx]!.input ?? []) {
      const w = i ? waiting.get(i) : undefined;
      if (w === undefined || out.includes(w)) continue;
      out.push(w);
    }
    out.push(idx);
  }
  for (const w of new Set(waiting.values())) if (!out.includes(w)) out.push(w);
  return out;
}

function uniqueNames(nodes: readonly NodeProto[]): string[] {
  const seen = new Set<string>();
  return nodes.map((n, i) => {
    let name = n.name || `${n.opType ?? 'node'}_${i}`;
    while (seen.has(name)) name = `${name}_${i}`;
    seen.add(name);
    return name;
  });
}

/** Node indices in dependency order, keeping the file's order where it is free to. */
function topologicalOrder(
  label: string,
  nodes: readonly NodeProto[],
  names: readonly string[],
  available: Set<string>,
): number[] {
  const producerOf = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (!o) continue;
      if (producerOf.has(o) || available.has(o)) {
        throw new ModelInvalidError(
          `${label}: tensor "${o}" is produced twice (node "${names[i]}")`,
        );
      }
      producerOf.set(o, i);
    }
  });
  const waiting = nodes.map(() => 0);
  const dependents = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => {
    for (const t of n.input ?? []) {
      if (!t || available.has(t)) continue;
      const p = producerOf.get(t);
      if (p === undefined)
        throw new ModelInvalidError(
          `${label}: node "${names[i]}" reads tensor "${t}" that nothing produces`,
        );
      waiting[i]!++;
      dependents[p]!.push(i);
    }
  });
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: number[] = [];
  while (ready.length) {
    // Smallest index first: the file's order when it is already sorted.
    let best = 0;
    for (let k = 1; k < ready.length; k++) if (ready[k]! < ready[best]!) best = k;
    const i = ready.splice(best, 1)[0]!;
    order.push(i);
    for (const d of dependents[i]!) if (--waiting[d]! === 0) ready.push(d);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes
      .map((_, i) => i)
      .filter((i) => waiting[i]! > 0)
      .map((i) => `"${names[i]}"`);
    throw new ModelInvalidError(
      `${label}: the graph has a cycle through nodes ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ', ...' : ''}`,
    );
  }
  return order;
}
