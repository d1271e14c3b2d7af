// Shape inference, constant folding and cost for each operator CNNs from zoos and exporters use.
// A rule sees its node's input types (and constant values where known) and returns its outputs'
// types; `macs` counts multiply-accumulates (Conv, Gemm, MatMul exactly; one per element for the
// per-element multiplies of Mul, Div, BatchNormalization, pooling averages and LRN windows).
import { ModelOpUnsupportedError } from './errors';
import { type DType, type NodeProto, numel, type TensorProto, toNumber } from './onnx';
import {
  OpContext,
  type OpRule,
  same,
  binary,
  pool,
  globalPool,
  convShape,
  convMacs,
  gemmShape,
  gemmMacs,
  matMulShape,
  matMulMacs,
  concatShape,
  normAxis,
  small,
  type ConvSlots,
  type GemmSlots,
} from './opContext';

// ---------------------------------------------------------------------------------------------
// The rules

function unsqueezeAxes(ctx: OpContext): readonly number[] {
  if (ctx.opset >= 13) return ctx.has(1) ? ctx.needConstant(1, 'axes') : [];
  return ctx.ints('axes', []) ?? [];
}

const castTo = (ctx: OpContext): DType => {
  const code = ctx.int('to', 0);
  const names: Record<number, DType> = {
    1: 'float32',
    2: 'uint8',
    3: 'int8',
    4: 'uint16',
    5: 'int16',
    6: 'int32',
    7: 'int64',
    9: 'bool',
    10: 'float16',
    11: 'float64',
    12: 'uint32',
    13: 'uint64',
  };
  const d = names[code];
  if (!d) ctx.fail(`cannot cast to element type ${code}`);
  return d;
};

const CONV_SLOTS: ConvSlots = { x: 0, w: 1, b: 2 };

const GEMM_SLOTS: GemmSlots = { a: 0, b: 1, c: 2 };

export const OP_RULES: Readonly<Record<string, OpRule>> = {
  Conv: {
    infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: convShape(ctx, CONV_SLOTS) }],
    macs: (ctx, outs) => convMacs(ctx, CONV_SLOTS, outs),
  },
  Gemm: {
    infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: gemmShape(ctx, GEMM_SLOTS) }],
    macs: (ctx, outs) => gemmMacs(ctx, GEMM_SLOTS, outs),
  },
  MatMul: {
    infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: matMulShape(ctx, 0, 1) }],
    macs: (ctx, outs) => matMulMacs(ctx, 0, outs),
  },
  BatchNormalization: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const c = x.shape[1] ?? 1;
      for (let i = 1; i <= 4; i++) {
        if (numel(ctx.input(i).shape) !== c)
          ctx.fail(`parameter ${i} has ${numel(ctx.input(i).shape)} values for ${c} channels`);
      }
      return (ctx.node.output ?? []).map((_, i) => (i === 0 ? x : { dtype: x.dtype, shape: [c] }));
    },
    macs: (ctx) => numel(ctx.input(0).shape),
  },
  LRN: {
    infer: same,
    macs: (ctx) => numel(ctx.input(0).shape) * ctx.int('size', 1),
  },
  Relu: { infer: same },
  LeakyRelu: { infer: same },
  Sigmoid: { infer: same },
  Tanh: { infer: same },
  Clip: { infer: same },
  Identity: {
    infer: same,
    fold: (ctx, outs) => (small(outs) && ctx.constant(0) ? [[...ctx.constant(0)!]] : null),
  },
  Softmax: {
    infer: (ctx) => {
      normAxis(ctx, ctx.int('axis', ctx.opset >= 13 ? -1 : 1), ctx.input(0).shape.length);
      return same(ctx);
    },
  },
  LogSoftmax: { infer: (ctx) => OP_RULES.Softmax!.infer(ctx) },
  Dropout: {
    infer: (ctx) => {
      const x = ctx.input(0);
      return (ctx.node.output ?? []).map((_, i) =>
        i === 0 ? x : { dtype: 'bool' as const, shape: x.shape },
      );
    },
  },
  Cast: {
    infer: (ctx) => [{ dtype: castTo(ctx), shape: ctx.input(0).shape }],
    fold: (ctx, outs) => {
      const v = small(outs) ? ctx.constant(0) : null;
      if (!v) return null;
      return [outs[0]!.dtype.startsWith('float') ? [...v] : v.map(Math.trunc)];
    },
  },
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Add: binary((a, b) => a + b, 0),
  Sub: binary((a, b) => a - b, 0),
  Mul: binary((a, b) => a * b, 1),
  Div: binary((a, b) => a / b, 1),
  Flatten: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const r = x.shape.length;
      let axis = ctx.int('axis', 1);
      if (axis < 0) axis += r;
      if (axis < 0 || axis > r)
        ctx.fail(`axis ${ctx.int('axis', 1)} is out of range for rank ${r}`);
      return [
        { dtype: x.dtype, shape: [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))] },
      ];
    },
    fold: (ctx, outs) => (small(outs) && ctx.constant(0) ? [[...ctx.constant(0)!]] : null),
  },
  Reshape: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const target =
        ctx.opset >= 5
          ? ctx.needConstant(1, 'shape')
          : (ctx.ints('shape', null) ?? ctx.fail('shape is required'));
      const allowZero = ctx.int('allowzero', 0) === 1;
      const shape = target.map((d, i) =>
        d === 0 && !allowZero
          ? (x.shape[i] ?? ctx.fail(`shape[${i}] = 0 copies a missing dim`))
          : d,
      );
      const unknown = shape.filter((d) => d === -1).length;
      if (unknown > 1) ctx.fail('shape has more than one -1');
      const known = numel(shape.filter((d) => d !== -1));
      const total = numel(x.shape);
      if (shape.some((d) => d < -1)) ctx.fail(`shape [${target.join(',')}] has a negative dim`);
      if (unknown) {
        if (known === 0 || total % known !== 0)
          ctx.fail(`cannot reshape [${x.shape.join(',')}] to [${target.join(',')}]`);
        shape[shape.indexOf(-1)] = total / known;
      }
      if (numel(shape) !== total)
        ctx.fail(`cannot reshape [${x.shape.join(',')}] (${total} values) to [${shape.join(',')}]`);
      return [{ dtype: x.dtype, shape }];
    },
    fold: (ctx, outs) => (small(outs) && ctx.constant(0) ? [[...ctx.constant(0)!]] : null),
  },
  Transpose: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const r = x.shape.length;
      const perm = ctx.ints('perm', null) ?? x.shape.map((_, i) => r - 1 - i);
      if (perm.length !== r || [...perm].sort().some((p, i) => p !== i))
        ctx.fail(`perm [${perm.join(',')}] is not a permutation of ${r} axes`);
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
    },
  },
  Concat: {
    infer: (ctx) => [
      {
        dtype: ctx.input(0).dtype,
        shape: concatShape(
          ctx,
          ctx.inputs.map((_, i) => i),
        ),
      },
    ],
    fold: (ctx, outs) => {
      if (!small(outs) || ctx.inputs.some((_, i) => !ctx.constant(i))) return null;
      const vals = ctx.inputs.map((_, i) => ctx.constant(i));
      // Shape arithmetic concatenates 1-D vectors; higher ranks are left to run time.
      if (outs[0]!.shape.length !== 1) return null;
      return [vals.flatMap((v) => [...v!])];
    },
  },
  Shape: {
    infer: (ctx) => {
      const r = ctx.input(0).shape.length;
      const [s, e] = shapeRange(ctx, r);
      return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
    },
    fold: (ctx) => {
      const dims = ctx.input(0).shape;
      const [s, e] = shapeRange(ctx, dims.length);
      return [dims.slice(s, e)];
    },
  },
  Gather: {
    infer: (ctx) => {
      const data = ctx.input(0);
      const idx = ctx.input(1);
      const axis = normAxis(ctx, ctx.int('axis', 0), data.shape.length);
      return [
        {
          dtype: data.dtype,
          shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)],
        },
      ];
    },
    fold: (ctx, outs) => {
      const data = small(outs) ? ctx.constant(0) : null;
      const idx = data && ctx.constant(1);
      if (!data || !idx) return null;
      const shape = ctx.input(0).shape;
      const axis = normAxis(ctx, ctx.int('axis', 0), shape.length);
      const outer = numel(shape.slice(0, axis));
      const dim = shape[axis]!;
      const inner = numel(shape.slice(axis + 1));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const raw of idx) {
          const i = raw < 0 ? raw + dim : raw;
          if (i < 0 || i >= dim) ctx.fail(`index ${raw} is out of range for a dim of ${dim}`);
          for (let k = 0; k < inner; k++) out.push(data[(o * dim + i) * inner + k]!);
        }
      }
      return [out];
    },
  },
  Unsqueeze: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const axes = unsqueezeAxes(ctx);
      const r = x.shape.length + axes.length;
      const norm = axes.map((a) => normAxis(ctx, a, r));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
      return [{ dtype: x.dtype, shape }];
    },
    fold: (ctx, outs) => (small(outs) && ctx.constant(0) ? [[...ctx.constant(0)!]] : null),
  },
  Squeeze: {
    infer: (ctx) => {
      const x = ctx.input(0);
      const axes = unsqueezeAxes(ctx).map((a) => normAxis(ctx, a, x.shape.length));
      const shape = x.shape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
      return [{ dtype: x.dtype, shape }];
    },
    fold: (ctx, outs) => (small(outs) && ctx.constant(0) ? [[...ctx.constant(0)!]] : null),
  },
};

function shapeRange(ctx: OpContext, r: number): [number, number] {
  const clamp = (v: number): number => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  return [clamp(ctx.int('start', 0)), ctx.hasAttr('end') ? clamp(ctx.int('end', r)) : r];
}

/** The value of a Constant node, as a tensor. */
export function constantNodeValue(
  node: NodeProto,
  name: string,
): { dtype: DType; dims: number[]; values?: number[]; tensor?: TensorProto } {
  for (const a of node.attribute ?? []) {
    switch (a.name) {
      case 'value':
        if (a.t) return { dtype: 'float32', dims: [], tensor: a.t };
        break;
      case 'value_float':
        return { dtype: 'float32', dims: [], values: [a.f ?? 0] };
      case 'value_floats':
        return { dtype: 'float32', dims: [a.floats?.length ?? 0], values: a.floats ?? [] };
      case 'value_int':
        return { dtype: 'int64', dims: [], values: [toNumber(a.i)] };
      case 'value_ints':
        return {
          dtype: 'int64',
          dims: [a.ints?.length ?? 0],
          values: (a.ints ?? []).map(toNumber),
        };
    }
  }
  throw new ModelOpUnsupportedError(
    `Constant node "${name}" has no value this toolkit reads (value, value_float(s), value_int(s))`,
  );
}
