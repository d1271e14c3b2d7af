// Shape and cost rules for the operators of int8 models: the ONNX ones (QuantizeLinear,
// DequantizeLinear, QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) and the
// com.microsoft ones onnxruntime's quantizer writes in its QOperator format (QLinearAdd,
// QLinearMul, QLinearConcat, QLinear(Global)AveragePool, QGemm, QLinearSigmoid, QLinearLeakyRelu,
// QLinearSoftmax), slots as onnxruntime's contrib-op specs list them. A quantized op computes
// what its float op does between a dequantize and a quantize, so it costs the float op's MACs;
// a requantizing element-wise op (and Q, DQ themselves) one multiply per element.
import { type DType, numel } from './onnx';
import {
  broadcastOutput,
  concatShape,
  type ConvSlots,
  convMacs,
  convShape,
  type GemmSlots,
  gemmMacs,
  gemmShape,
  globalPool,
  matMulMacs,
  matMulShape,
  type OpContext,
  type OpRule,
  pool,
  same,
} from './opContext';

/** The element type a zero point at `slot` fixes (uint8 when the zero point is omitted). */
function zeroPointType(ctx: OpContext, slot: number): DType {
  return ctx.has(slot) ? ctx.input(slot).dtype : 'uint8';
}

const Q_CONV: ConvSlots = { x: 0, w: 3, b: 8 };
const INT_CONV: ConvSlots = { x: 0, w: 1, b: -1 };
const Q_GEMM: GemmSlots = { a: 0, b: 3, c: 6 };

/** onnxruntime's NHWC forms (channels_last=1) come from its graph optimiser, not from files. */
function channelsFirst(rule: OpRule): OpRule {
  return {
    ...rule,
    infer: (ctx) => {
      if (ctx.int('channels_last', 0) !== 0)
        ctx.fail('channels_last=1 is an onnxruntime-internal layout; export the NCHW form');
      return rule.infer(ctx);
    },
  };
}

/** Unary quantized activations: X, X_scale, X_zp, Y_scale, Y_zp; Y typed like X. */
const Q_UNARY: OpRule = { infer: same, macs: (_ctx, outs) => numel(outs[0]!.shape) };

export const QUANTIZED_RULES: Readonly<Record<string, OpRule>> = {
  QuantizeLinear: {
    infer: (ctx) => {
      // Opset 21's output_dtype names the type when the zero point is omitted.
      const code = ctx.int('output_dtype', 0);
      const dtype: DType = code === 3 ? 'int8' : code === 2 ? 'uint8' : zeroPointType(ctx, 2);
      if (dtype !== 'uint8' && dtype !== 'int8')
        ctx.fail(`quantizes to ${dtype}; the toolkit reads uint8 and int8 quantization`);
      return [{ dtype, shape: ctx.input(0).shape }];
    },
    macs: (_ctx, outs) => numel(outs[0]!.shape),
  },
  DequantizeLinear: {
    // The output takes the scale's type (float32, or float16 from opset 19).
    infer: (ctx) => [{ dtype: ctx.input(1).dtype, shape: ctx.input(0).shape }],
    macs: (_ctx, outs) => numel(outs[0]!.shape),
  },
  QLinearConv: {
    infer: (ctx) => [{ dtype: zeroPointType(ctx, 7), shape: convShape(ctx, Q_CONV) }],
    macs: (ctx, outs) => convMacs(ctx, Q_CONV, outs),
  },
  ConvInteger: {
    infer: (ctx) => [{ dtype: 'int32', shape: convShape(ctx, INT_CONV) }],
    macs: (ctx, outs) => convMacs(ctx, INT_CONV, outs),
  },
  QLinearMatMul: {
    infer: (ctx) => [{ dtype: zeroPointType(ctx, 7), shape: matMulShape(ctx, 0, 3) }],
    macs: (ctx, outs) => matMulMacs(ctx, 0, outs),
  },
  MatMulInteger: {
    infer: (ctx) => [{ dtype: 'int32', shape: matMulShape(ctx, 0, 1) }],
    macs: (ctx, outs) => matMulMacs(ctx, 0, outs),
  },
};

/** The com.microsoft operators, by name. */
export const MICROSOFT_RULES: Readonly<Record<string, OpRule>> = {
  // The contrib forms of Q/DQ (16-bit types) take the same slots.
  QuantizeLinear: QUANTIZED_RULES.QuantizeLinear!,
  DequantizeLinear: QUANTIZED_RULES.DequantizeLinear!,
  QLinearAdd: quantizedBinary(0),
  QLinearMul: quantizedBinary(1),
  QLinearConcat: {
    // Y_scale, Y_zero_point, then (tensor, scale, zero point) per input.
    infer: (ctx) => {
      const slots: number[] = [];
      for (let i = 2; i < ctx.inputs.length; i += 3) slots.push(i);
      if (!slots.length || (ctx.inputs.length - 2) % 3 !== 0)
        ctx.fail('needs Y_scale, Y_zero_point and (tensor, scale, zero point) triples');
      return [{ dtype: zeroPointType(ctx, 1), shape: concatShape(ctx, slots) }];
    },
  },
  QLinearAveragePool: channelsFirst(pool('avg')),
  QLinearGlobalAveragePool: channelsFirst(globalPool('avg')),
  QGemm: {
    // Without y_scale the output is float32 (dequantized); with it, typed like y_zero_point.
    infer: (ctx) => [
      {
        dtype: ctx.has(7) ? zeroPointType(ctx, 8) : 'float32',
        shape: gemmShape(ctx, Q_GEMM),
      },
    ],
    macs: (ctx, outs) => gemmMacs(ctx, Q_GEMM, outs),
  },
  QLinearSigmoid: Q_UNARY,
  QLinearLeakyRelu: Q_UNARY,
  QLinearSoftmax: Q_UNARY,
};

/** QLinearAdd / QLinearMul: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp. */
function quantizedBinary(macsPerElement: number): OpRule {
  return {
    infer: (ctx) => broadcastOutput(ctx, 0, 3),
    macs: (_ctx, outs) => macsPerElement * numel(outs[0]!.shape),
  };
}
