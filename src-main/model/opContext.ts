// What every operator rule shares (model/ops.ts holds the rules): the context a rule sees of its
// node (input types, constant values, attributes), and the shape arithmetic several rules use:
// broadcasting, pooling windows, and the shapes and MACs of Conv, Gemm, MatMul and Concat, which
// their quantized forms (model/quantized.ts) reuse by input slot.
import { ModelInvalidError } from './errors';
import { type AttributeProto, type DType, type NodeProto, numel, toNumber } from './onnx';

export interface TensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** What a rule sees of its node. */
export class OpContext {
  private readonly attrs: Map<string, AttributeProto>;
  private readonly constants = new Map<number, readonly number[] | null>();
  constructor(
    readonly node: NodeProto,
    readonly name: string,
    readonly opset: number,
    /** One per input slot; null where the optional input is omitted. */
    readonly inputs: ReadonlyArray<TensorInfo | null>,
    /**
     * An input slot's values, where it is a small constant. Asked only by rules that fold or need
     * a shape, so costing never reads a weight.
     */
    private readonly constantOf: (i: number) => readonly number[] | null = () => null,
  ) {
    this.attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
  }
  get op(): string {
    return this.node.opType ?? '';
  }
  fail(message: string): never {
    throw new ModelInvalidError(`node "${this.name}" (${this.op}): ${message}`);
  }
  has(i: number): boolean {
    return !!this.inputs[i];
  }
  input(i: number): TensorInfo {
    const t = this.inputs[i];
    if (!t) this.fail(`input ${i} is missing`);
    return t;
  }
  constant(i: number): readonly number[] | null {
    let v = this.constants.get(i);
    if (v === undefined) {
      v = this.constantOf(i);
      this.constants.set(i, v);
    }
    return v;
  }
  /** A constant input the rule needs to know (a shape, axes): fails when it is computed at run time. */
  needConstant(i: number, what: string): readonly number[] {
    const c = this.constant(i);
    if (!c)
      this.fail(
        `its ${what} (input ${i}) is computed at run time; only constant ${what}s are supported`,
      );
    return c;
  }
  hasAttr(name: string): boolean {
    return this.attrs.has(name);
  }
  int(name: string, dflt: number): number {
    const a = this.attrs.get(name);
    return a ? toNumber(a.i) : dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.attrs.get(name);
    return a && a.f !== undefined && a.f !== null ? a.f : dflt;
  }
  ints(name: string, dflt: readonly number[] | null): readonly number[] | null {
    const a = this.attrs.get(name);
    return a ? (a.ints ?? []).map(toNumber) : dflt;
  }
  string(name: string, dflt: string): string {
    const a = this.attrs.get(name);
    return a?.s ? Buffer.from(a.s).toString('utf8') : dflt;
  }
}

export interface OpRule {
  infer(ctx: OpContext): TensorInfo[];
  macs?(ctx: OpContext, outputs: readonly TensorInfo[]): number;
  /** Output values when the node can be computed now (all needed inputs constant); else null. */
  fold?(ctx: OpContext, outputs: readonly TensorInfo[]): number[][] | null;
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function normAxis(ctx: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function broadcastShapes(
  ctx: OpContext,
  a: readonly number[],
  b: readonly number[],
): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      ctx.fail(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Index of `outIndex` in a tensor of shape `shape` broadcast to `outShape`. */
function broadcastIndex(
  outIndex: number,
  outShape: readonly number[],
  shape: readonly number[],
): number {
  let idx = 0;
  let stride = 1;
  let rem = outIndex;
  for (let i = outShape.length - 1; i >= 0; i--) {
    const od = outShape[i]!;
    const coord = rem % od;
    rem = Math.floor(rem / od);
    const j = i - (outShape.length - shape.length);
    if (j >= 0) {
      const d = shape[j]!;
      if (d !== 1) idx += coord * stride;
      stride *= d;
    }
  }
  return idx;
}

export const same = (ctx: OpContext): TensorInfo[] => [ctx.input(0)];
/** Folding is for shape arithmetic, not for weights. */
const FOLD_LIMIT = 4096;
export const small = (outs: readonly TensorInfo[]): boolean =>
  outs.every((o) => numel(o.shape) <= FOLD_LIMIT);

function spatialWindows(
  ctx: OpContext,
  spatial: readonly number[],
  kernel: readonly number[],
  opts: { ceil?: boolean; dilations?: readonly number[] },
): number[] {
  const n = spatial.length;
  if (kernel.length !== n) ctx.fail(`kernel_shape has ${kernel.length} dims for ${n} spatial dims`);
  const strides = ctx.ints('strides', null) ?? new Array<number>(n).fill(1);
  const dil = opts.dilations ?? new Array<number>(n).fill(1);
  const pads = ctx.ints('pads', null) ?? new Array<number>(2 * n).fill(0);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (strides.length !== n || dil.length !== n || pads.length !== 2 * n) {
    ctx.fail('strides, dilations and pads do not match the number of spatial dims');
  }
  return spatial.map((size, i) => {
    const s = strides[i]!;
    const k = (kernel[i]! - 1) * dil[i]! + 1;
    if (s < 1 || kernel[i]! < 1 || dil[i]! < 1)
      ctx.fail('strides, kernel and dilations must be positive');
    let out: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out = Math.ceil(size / s);
    else if (autoPad === 'VALID') out = Math.floor((size - k) / s) + 1;
    else if (autoPad === 'NOTSET') {
      const padded = size + pads[i]! + pads[i + n]! - k;
      if (opts.ceil) {
        out = Math.ceil(padded / s) + 1;
        // The last window must start inside the input or its leading pad (as onnxruntime does).
        if ((out - 1) * s >= size + pads[i]!) out--;
      } else out = Math.floor(padded / s) + 1;
    } else ctx.fail(`unknown auto_pad "${autoPad}"`);
    if (!(out >= 1))
      ctx.fail(`the window does not fit: spatial size ${size} gives an empty output`);
    return out;
  });
}

function elementwise(op: (a: number, b: number) => number, integer: boolean) {
  return (ctx: OpContext, outs: readonly TensorInfo[]): number[][] | null => {
    if (!small(outs)) return null;
    const a = ctx.constant(0);
    const b = a && ctx.constant(1);
    if (!a || !b) return null;
    const out = outs[0]!;
    const n = numel(out.shape);
    const va = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const x = a[broadcastIndex(i, out.shape, ctx.input(0).shape)]!;
      const y = b[broadcastIndex(i, out.shape, ctx.input(1).shape)]!;
      const r = op(x, y);
      va[i] = integer ? Math.trunc(r) : r;
    }
    return [va];
  };
}

/** An element-wise op's output: its operands (in slots `aSlot`, `bSlot`) broadcast together. */
export function broadcastOutput(ctx: OpContext, aSlot: number, bSlot: number): TensorInfo[] {
  const a = ctx.input(aSlot);
  const b = ctx.input(bSlot);
  if (a.dtype !== b.dtype) ctx.fail(`operands are ${a.dtype} and ${b.dtype}; they must match`);
  return [{ dtype: a.dtype, shape: broadcastShapes(ctx, a.shape, b.shape) }];
}

export function binary(op: (a: number, b: number) => number, macsPerElement: number): OpRule {
  return {
    infer: (ctx) => broadcastOutput(ctx, 0, 1),
    macs: (_ctx, outs) => macsPerElement * numel(outs[0]!.shape),
    fold: (ctx, outs) => elementwise(op, !outs[0]!.dtype.startsWith('float'))(ctx, outs),
  };
}

export function pool(kind: 'max' | 'avg'): OpRule {
  return {
    infer: (ctx) => {
      const x = ctx.input(0);
      if (x.shape.length < 3)
        ctx.fail(`input has rank ${x.shape.length}; pooling needs [N,C,spatial...]`);
      const kernel = ctx.ints('kernel_shape', null);
      const k = kernel ?? ctx.fail('kernel_shape is required');
      const dilations = kind === 'max' ? (ctx.ints('dilations', null) ?? undefined) : undefined;
      const sp = spatialWindows(ctx, x.shape.slice(2), k, {
        ceil: ctx.int('ceil_mode', 0) === 1,
        dilations,
      });
      const shape = [x.shape[0]!, x.shape[1]!, ...sp];
      const outs: TensorInfo[] = [{ dtype: x.dtype, shape }];
      if ((ctx.node.output ?? []).length > 1) outs.push({ dtype: 'int64', shape });
      return outs;
    },
    macs: (ctx, outs) =>
      kind === 'avg' ? numel(outs[0]!.shape) * numel(ctx.ints('kernel_shape', [])!) : 0,
  };
}

export function globalPool(kind: 'max' | 'avg'): OpRule {
  return {
    infer: (ctx) => {
      const x = ctx.input(0);
      if (x.shape.length < 3)
        ctx.fail(`input has rank ${x.shape.length}; pooling needs [N,C,spatial...]`);
      return [
        { dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] },
      ];
    },
    macs: (ctx) => (kind === 'avg' ? numel(ctx.input(0).shape) : 0),
  };
}

// Conv, Gemm, MatMul and Concat shapes, by input slot: their quantized forms (QLinearConv,
// ConvInteger, QGemm, QLinearMatMul, MatMulInteger, QLinearConcat) keep the same arithmetic with
// scales and zero points between the operands.

export interface ConvSlots {
  readonly x: number;
  readonly w: number;
  /** The bias slot, or -1. */
  readonly b: number;
}

export function convShape(ctx: OpContext, slots: ConvSlots): number[] {
  const x = ctx.input(slots.x);
  const w = ctx.input(slots.w);
  if (x.shape.length < 3)
    ctx.fail(`input has rank ${x.shape.length}; ${ctx.op} needs [N,C,spatial...]`);
  if (w.shape.length !== x.shape.length)
    ctx.fail(`weight rank ${w.shape.length} does not match input rank ${x.shape.length}`);
  const group = ctx.int('group', 1);
  const [m, cg] = [w.shape[0]!, w.shape[1]!];
  if (group < 1 || x.shape[1] !== cg * group) {
    ctx.fail(`input has ${x.shape[1]} channels but weight expects ${cg} x ${group} groups`);
  }
  if (m % group !== 0) ctx.fail(`${m} output channels do not divide into ${group} groups`);
  if (slots.b >= 0 && ctx.has(slots.b) && numel(ctx.input(slots.b).shape) !== m)
    ctx.fail(`bias has ${numel(ctx.input(slots.b).shape)} values for ${m} channels`);
  const kernel = ctx.ints('kernel_shape', null) ?? w.shape.slice(2);
  const sp = spatialWindows(ctx, x.shape.slice(2), kernel, {
    dilations: ctx.ints('dilations', null) ?? undefined,
  });
  return [x.shape[0]!, m, ...sp];
}

/**
 * Each output value sums its group's input channels over the kernel: the weight's dims after the
 * first (C/group x kernel), so a depthwise conv costs kernel MACs a value, not C x kernel.
 */
export function convMacs(ctx: OpContext, slots: ConvSlots, outs: readonly TensorInfo[]): number {
  return numel(outs[0]!.shape) * numel(ctx.input(slots.w).shape.slice(1));
}

export interface GemmSlots {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

export function gemmShape(ctx: OpContext, slots: GemmSlots): number[] {
  const a = ctx.input(slots.a);
  const b = ctx.input(slots.b);
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    ctx.fail(`needs 2-D operands, got [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
  }
  const [m, k] = ctx.int('transA', 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = ctx.int('transB', 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) ctx.fail(`inner dimensions ${k} and ${kb} differ`);
  if (ctx.has(slots.c)) broadcastShapes(ctx, [m, n], ctx.input(slots.c).shape);
  return [m, n];
}

export function gemmMacs(ctx: OpContext, slots: GemmSlots, outs: readonly TensorInfo[]): number {
  const a = ctx.input(slots.a).shape;
  return numel(outs[0]!.shape) * (ctx.int('transA', 0) ? a[0]! : a[1]!);
}

export function matMulShape(ctx: OpContext, aSlot: number, bSlot: number): number[] {
  const a = ctx.input(aSlot);
  const b = ctx.input(bSlot);
  if (a.shape.length === 0 || b.shape.length === 0) ctx.fail('operands must have rank 1 or more');
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const k = as[as.length - 1]!;
  if (k !== bs[bs.length - 2]) ctx.fail(`inner dimensions ${k} and ${bs[bs.length - 2]} differ`);
  const batch = broadcastShapes(ctx, as.slice(0, -2), bs.slice(0, -2));
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(as[as.length - 2]!);
  if (b.shape.length > 1) shape.push(bs[bs.length - 1]!);
  return shape;
}

export function matMulMacs(ctx: OpContext, aSlot: number, outs: readonly TensorInfo[]): number {
  const a = ctx.input(aSlot).shape;
  return numel(outs[0]!.shape) * a[a.length - 1]!;
}

export function concatShape(ctx: OpContext, slots: readonly number[]): number[] {
  const first = ctx.input(slots[0]!);
  const r = first.shape.length;
  const axis = normAxis(ctx, ctx.int('axis', ctx.opset < 4 ? 1 : Number.NaN), r);
  const shape = [...first.shape];
  shape[axis] = 0;
  for (const i of slots) {
    const t = ctx.inputs[i];
    if (!t) continue;
    if (t.shape.length !== r || t.shape.some((d, j) => j !== axis && d !== first.shape[j])) {
      ctx.fail(
        `input ${i} of shape [${t.shape.join(',')}] does not concatenate with [${first.shape.join(',')}] on axis ${axis}`,
      );
    }
    shape[axis] = shape[axis]! + t.shape[axis]!;
  }
  return shape;
}
