// Splits: a stage's one channel-mixing layer (Conv, grouped too, Gemm or MatMul) divided along
// its output channels: each part holds an exact slice of its weights and bias plus the
// channel-wise layers after it, and the consumer concatenates the parts' outputs. Weights are
// sliced as views where rows are contiguous, so a VGG16 fc1 split copies nothing.

import { type GraphAnalysis, type Layer } from './graph';
import {
  dtypeFromCode,
  dtypeSize,
  lazyTensor,
  type NodeProto,
  type TensorProto,
  tensorBytes,
  tensorDims,
  toNumber,
  valuesTensor,
  attrInts,
} from './onnx';

import { ancestryOf } from './cut';

/**
 * The channel-mixing layers a split slices, by input slot: the weight, the bias (-1: none) and
 * a quantized weight's scale and zero point, sliced with it when they are per output channel.
 */
interface MixingSlots {
  readonly w: number;
  readonly bias: number;
  readonly perChannel: readonly number[];
}
const MIXING: ReadonlyMap<string, MixingSlots> = new Map([
  ['Conv', { w: 1, bias: 2, perChannel: [] }],
  ['QLinearConv', { w: 3, bias: 8, perChannel: [4, 5] }],
  ['Gemm', { w: 1, bias: 2, perChannel: [] }],
  ['MatMul', { w: 1, bias: -1, perChannel: [] }],
  ['QLinearMatMul', { w: 3, bias: -1, perChannel: [4, 5] }],
]);
const CONVS = new Set(['Conv', 'QLinearConv']);
/** Channel-mixing layers a split does not slice (their quantized arithmetic is not sliced yet). */
const UNSPLIT_MIXING = new Set(['ConvInteger', 'MatMulInteger', 'QGemm']);
const UNARY = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Clip',
  'Identity',
  'Dropout',
  'Cast',
  // Quantized element-wise ops, exact per channel when their scales are per tensor (checked).
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
]);
const POOLS = new Set([
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
]);
const ARITH = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization']);

/** How the channels sit in a tensor of the split chain: `axis`, `channels` x `block` elements. */
interface Geometry {
  readonly axis: number;
  readonly channels: number;
  readonly block: number;
}

interface SplitShape {
  readonly mixing: Layer;
  readonly pre: readonly Layer[];
  readonly post: readonly Layer[];
  /** Geometry of each chain tensor (the mixing output and everything after it). */
  readonly geometry: ReadonlyMap<string, Geometry>;
}

/** Why the stage cannot be split along output channels, or its structure. */
export function splitShape(
  a: GraphAnalysis,
  layers: readonly Layer[],
  output: string,
): SplitShape | string {
  const mixing = layers.filter((l) => MIXING.has(l.op) || UNSPLIT_MIXING.has(l.op));
  if (mixing.length !== 1) {
    return mixing.length === 0
      ? `it has no channel-mixing layer (${[...MIXING.keys()].join(', ')}) to split`
      : `it has ${mixing.length} channel-mixing layers (${mixing.map((l) => l.name).join(', ')}); a split stage must hold exactly one`;
  }
  const m = mixing[0]!;
  const slots = MIXING.get(m.op);
  if (!slots)
    return `its ${m.op} "${m.name}" is not sliced by the toolkit (splits slice ${[...MIXING.keys()].join(', ')})`;
  const weight = m.inputs[slots.w] ?? '';
  if (!a.constants.has(weight)) {
    const from = a.producer.get(weight);
    if (from?.op === 'DequantizeLinear')
      return `its ${m.op} "${m.name}" takes its weight from DequantizeLinear "${from.name}" (a QDQ graph); splits slice constant weights, so quantize to the QOperator format (QLinearConv, QLinearMatMul) to split it`;
    return `its ${m.op} "${m.name}" multiplies two computed tensors; only constant weights can be split`;
  }
  if (!CONVS.has(m.op) && m.op !== 'Gemm' && tensorDims(a.constants.get(weight)!).length !== 2)
    return `its ${m.op} "${m.name}" has a weight of rank other than 2`;
  const perTensorOnly = m.inputs.find(
    (t, slot) =>
      t &&
      slot !== slots.w &&
      slot !== slots.bias &&
      !slots.perChannel.includes(slot) &&
      a.constants.has(t) &&
      numelOf(a.constants.get(t)!) > 1,
  );
  if (perTensorOnly)
    return `its ${m.op} "${m.name}" has a per-axis quantization parameter "${perTensorOnly}" on its input or output, which a slice of the output channels cannot keep`;
  const anc = ancestryOf(a);
  const pre = layers.filter((l) => l !== m && anc.has(m.index, l.index));
  const post = layers.filter((l) => l !== m && anc.has(l.index, m.index));
  const beside = layers.filter((l) => l !== m && !pre.includes(l) && !post.includes(l));
  if (beside.length)
    return `layer "${beside[0]!.name}" runs beside "${m.name}" instead of before or after it`;

  const mOut = m.outputs[0]!;
  const mShape = a.tensors.get(mOut)!.shape;
  const axis = m.op === 'MatMul' || m.op === 'QLinearMatMul' ? mShape.length - 1 : 1;
  const geometry = new Map<string, Geometry>([[mOut, { axis, channels: mShape[axis]!, block: 1 }]]);
  for (const l of post) {
    const chainInputs = l.inputs.filter((i) => geometry.has(i));
    const others = l.inputs.filter((i) => i && !geometry.has(i) && !a.constants.has(i));
    if (chainInputs.length !== 1 || others.length) {
      return `layer "${l.name}" after "${m.name}" joins another branch`;
    }
    const g = geometry.get(chainInputs[0]!)!;
    const inShape = a.tensors.get(chainInputs[0]!)!.shape;
    const outShape = a.tensors.get(l.outputs[0]!)!.shape;
    let next: Geometry = g;
    if (UNARY.has(l.op)) {
      if (l.inputs[0] !== chainInputs[0])
        return `layer "${l.name}" (${l.op}) takes the split tensor in an unexpected slot`;
      const perAxis = l.inputs.slice(1).find((t) => t && numelOf(a.constants.get(t)!) > 1);
      if (perAxis)
        return `layer "${l.name}" (${l.op}) after "${m.name}" has a per-axis parameter "${perAxis}"; only per-tensor ones stay exact in a part`;
    } else if (POOLS.has(l.op)) {
      if (g.axis !== 1 || g.block !== 1)
        return `layer "${l.name}" (${l.op}) pools a tensor whose channels are not on axis 1`;
    } else if (ARITH.has(l.op)) {
      if (
        l.op === 'BatchNormalization' &&
        (g.axis !== 1 || g.block !== 1 || l.inputs[0] !== chainInputs[0])
      ) {
        return `layer "${l.name}" (BatchNormalization) normalises a tensor whose channels are not on axis 1`;
      }
      if (inShape.length !== outShape.length || inShape.some((d, i) => d !== outShape[i])) {
        return `layer "${l.name}" (${l.op}) broadcasts the split tensor itself`;
      }
      if (l.op !== 'BatchNormalization') {
        const c = l.inputs.find((i) => i !== chainInputs[0])!;
        const cShape = a.tensors.get(c)!.shape;
        const d = cShape[cShape.length - (outShape.length - g.axis)] ?? 1;
        if (d !== 1 && d !== g.channels * g.block)
          return `layer "${l.name}" (${l.op}) has a constant that does not line up with the channels`;
      }
    } else if (l.op === 'Flatten') {
      const fAxis = toNumber((l.node.attribute ?? []).find((x) => x.name === 'axis')?.i ?? 1);
      if (g.axis !== 1 || fAxis !== 1)
        return `layer "${l.name}" (Flatten) mixes the channel axis with others`;
      next = {
        axis: 1,
        channels: g.channels,
        block: g.block * inShape.slice(2).reduce((x, y) => x * y, 1),
      };
    } else {
      return `layer "${l.name}" (${l.op}) after "${m.name}" mixes channels, so its parts would not be independent`;
    }
    if (l.outputs.slice(1).some((o) => o && a.consumers.has(o)))
      return `layer "${l.name}" (${l.op}) has a second output that is used`;
    geometry.set(l.outputs[0]!, next);
  }
  if (!geometry.has(output)) return `its output "${output}" does not come from "${m.name}"`;
  return { mixing: m, pre, post, geometry };
}

function numelOf(t: TensorProto): number {
  return tensorDims(t).reduce((x, y) => x * y, 1);
}

/** Channel counts of K parts, as even as they go: 4096 into 3 is 1366, 1365, 1365. */
export function splitSizes(channels: number, parts: number): number[] {
  const base = Math.floor(channels / parts);
  const extra = channels % parts;
  return Array.from({ length: parts }, (_, j) => base + (j < extra ? 1 : 0));
}

/**
 * Slices `t` along `axis` to [start, end), reading nothing until the part is written, and then
 * only the slice's own bytes: in one piece when it is contiguous (every dim before the axis is 1),
 * else row by row.
 */
function sliceTensor(
  t: TensorProto,
  name: string,
  axis: number,
  start: number,
  end: number,
): TensorProto {
  const dims = tensorDims(t);
  const dtype = dtypeFromCode(t.dataType, `tensor "${t.name}"`);
  const outer = dims.slice(0, axis).reduce((x, y) => x * y, 1);
  const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1) * dtypeSize(dtype);
  const rowBytes = dims[axis]! * inner;
  const outDims = dims.map((d, i) => (i === axis ? end - start : d));
  const piece = (end - start) * inner;
  const read =
    outer === 1
      ? (s = 0, e = piece) => tensorBytes(t, start * inner + s, start * inner + e)
      : (s = 0, e = outer * piece) => {
          // Row o of the slice is bytes [o * piece, (o + 1) * piece) here, and starts at
          // o * rowBytes + start * inner in `t`: read the rows [s, e) crosses, each on its own.
          const out = new Uint8Array(e - s);
          for (let o = Math.floor(s / piece); o * piece < e; o++) {
            const from = Math.max(s, o * piece);
            const to = Math.min(e, (o + 1) * piece);
            const shift = o * rowBytes + start * inner - o * piece;
            out.set(tensorBytes(t, shift + from, shift + to), from - s);
          }
          return out;
        };
  return lazyTensor(name, dtype, outDims, { byteLength: outer * piece, read });
}

interface PartBuilder {
  nodes: NodeProto[];
  initializers: Map<string, TensorProto>;
}

export function partNodesForSplit(
  a: GraphAnalysis,
  s: SplitShape,
  j: number,
  c0: number,
  c1: number,
  stageOutput: string,
  partOutput: string,
): PartBuilder {
  const b: PartBuilder = { nodes: [], initializers: new Map() };
  const rename = (t: string): string => (t === stageOutput ? partOutput : t);
  const addSliced = (name: string, axis: number, start: number, end: number, tag = ''): string => {
    const sliced = `${name}.p${j}${tag}`;
    b.initializers.set(sliced, sliceTensor(a.constants.get(name)!, sliced, axis, start, end));
    return sliced;
  };
  for (const l of s.pre) b.nodes.push(l.node);

  const m = s.mixing;
  const slots = MIXING.get(m.op)!;
  const mOut = rename(m.outputs[0]!);
  const attrs = m.node.attribute ?? [];
  /** The mixing layer's inputs for output channels [from, to), its activation input `x`. */
  const mixingInputs = (x: string, from: number, to: number, tag: string, wAxis: number) =>
    m.inputs.map((t, slot) => {
      if (slot === 0) return x;
      if (!t) return t;
      if (slot === slots.w) return addSliced(t, wAxis, from, to, tag);
      if (slot === slots.bias) {
        if (CONVS.has(m.op)) return addSliced(t, 0, from, to, tag);
        const g = { axis: 1, channels: to - from, block: 1 };
        return sliceConstantOnChannels(a, b, t, g, 2, from, to, addSliced);
      }
      const perChannel = slots.perChannel.includes(slot) && numelOf(a.constants.get(t)!) > 1;
      return perChannel ? addSliced(t, 0, from, to, tag) : t;
    });
  if (CONVS.has(m.op)) {
    const group = toNumber(attrs.find((x) => x.name === 'group')?.i ?? 1);
    const mCount = a.tensors.get(m.outputs[0]!)!.shape[1]!;
    const inChannels = a.tensors.get(m.inputs[0]!)!.shape[1]!;
    const mg = mCount / group;
    const cg = inChannels / group;
    const convNode = (
      input: string,
      from: number,
      to: number,
      groups: number,
      output: string,
      tag: string,
    ): NodeProto => ({
      ...m.node,
      name: `${m.name}.p${j}${tag}`,
      input: mixingInputs(input, from, to, tag, 0),
      output: [output],
      attribute: [
        ...attrs.filter((x) => x.name !== 'group'),
        { name: 'group', type: 2, i: groups },
      ],
    });
    if (group === 1) {
      b.nodes.push(convNode(m.inputs[0]!, c0, c1, 1, mOut, ''));
    } else {
      // A grouped conv's output channels read only their group's input channels: slice those.
      const g0 = Math.floor(c0 / mg);
      const g1 = Math.floor((c1 - 1) / mg);
      const channelSlice = (ga: number, gb: number, tag: string): string => {
        if (ga === 0 && gb === group - 1) return m.inputs[0]!;
        const out = `${m.name}.p${j}${tag}.in`;
        b.nodes.push(
          sliceNode(a, b, `${m.name}.p${j}${tag}.slice`, m.inputs[0]!, out, ga * cg, (gb + 1) * cg),
        );
        return out;
      };
      if (c0 % mg === 0 && c1 % mg === 0) {
        b.nodes.push(convNode(channelSlice(g0, g1, ''), c0, c1, g1 - g0 + 1, mOut, ''));
      } else {
        // A part that cuts through a group computes that group's piece with its own conv.
        const pieces: string[] = [];
        for (let g = g0; g <= g1; g++) {
          const from = Math.max(c0, g * mg);
          const to = Math.min(c1, (g + 1) * mg);
          const out = g0 === g1 ? mOut : `${m.name}.p${j}.g${g}`;
          b.nodes.push(convNode(channelSlice(g, g, `.g${g}`), from, to, 1, out, `.g${g}`));
          pieces.push(out);
        }
        if (pieces.length > 1) {
          b.nodes.push({
            name: `${m.name}.p${j}.concat`,
            opType: 'Concat',
            input: pieces,
            output: [mOut],
            attribute: [{ name: 'axis', type: 2, i: 1 }],
          });
        }
      }
    }
  } else {
    const transB =
      m.op === 'Gemm' && toNumber(attrs.find((x) => x.name === 'transB')?.i ?? 0) === 1;
    b.nodes.push({
      ...m.node,
      name: `${m.name}.p${j}`,
      input: mixingInputs(m.inputs[0]!, c0, c1, '', transB ? 0 : 1),
      output: [mOut],
    });
  }

  for (const l of s.post) {
    const g = s.geometry.get(l.inputs.find((i) => s.geometry.has(i))!)!;
    const outRank = a.tensors.get(l.outputs[0]!)!.shape.length;
    const inputs = l.inputs.map((i) => {
      if (!i || s.geometry.has(i) || !a.constants.has(i)) return rename(i);
      if (l.op === 'BatchNormalization') return addSliced(i, 0, c0, c1);
      if (ARITH.has(l.op)) return sliceConstantOnChannels(a, b, i, g, outRank, c0, c1, addSliced);
      return i;
    });
    b.nodes.push({ ...l.node, input: inputs, output: l.outputs.map(rename) });
  }
  return b;
}

/** Slices a broadcast constant where its dim on the channel axis is the full channel count. */
function sliceConstantOnChannels(
  a: GraphAnalysis,
  b: PartBuilder,
  name: string,
  g: Geometry,
  outRank: number,
  c0: number,
  c1: number,
  addSliced: (name: string, axis: number, start: number, end: number) => string,
): string {
  const shape = a.tensors.get(name)!.shape;
  const axis = shape.length - (outRank - g.axis);
  if (axis < 0 || shape[axis] === 1) {
    b.initializers.set(name, a.constants.get(name)!);
    return name;
  }
  return addSliced(name, axis, c0 * g.block, c1 * g.block);
}

function sliceNode(
  a: GraphAnalysis,
  b: PartBuilder,
  name: string,
  input: string,
  output: string,
  start: number,
  end: number,
): NodeProto {
  if (a.opset >= 10) {
    const consts = [`${name}.starts`, `${name}.ends`, `${name}.axes`];
    [start, end, 1].forEach((v, i) =>
      b.initializers.set(consts[i]!, valuesTensor(consts[i]!, 'int64', [1], [v])),
    );
    return { name, opType: 'Slice', input: [input, ...consts], output: [output] };
  }
  return {
    name,
    opType: 'Slice',
    input: [input],
    output: [output],
    attribute: [attrInts('starts', [start]), attrInts('ends', [end]), attrInts('axes', [1])],
  };
}
