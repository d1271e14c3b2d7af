// int8 models in both of onnxruntime's quantized formats, small and seeded: QOperator
// (QuantizeLinear, QLinearConv with per-channel int8 weights, com.microsoft QLinearAdd /
// QLinearConcat / QLinearGlobalAveragePool, QLinearMatMul or DequantizeLinear + Gemm) and QDQ
// (QuantizeLinear/DequantizeLinear pairs around float ops, int8 weights behind DequantizeLinear).
import type { OnnxModel } from '../../../src-main/model/index';
import { makeTensor } from '../../../src-main/model/onnx';
import { seededUniform } from '../../../src-main/model/seeded';
import { GraphWriter } from './exporters';

/** A quantized writer: int8 weights with per-channel scales, uint8 activations. */
class QuantWriter {
  readonly g = new GraphWriter(25);
  /** A uint8 activation's (scale, zero point) tensors, by name. */
  scalePoint(name: string, scale: number, zero: number): [string, string] {
    this.g.constant(`${name}_scale`, 'float32', [], [scale]);
    this.g.constant(`${name}_zero_point`, 'uint8', [], [zero]);
    return [`${name}_scale`, `${name}_zero_point`];
  }
  /** int8 weights in [-127, 127], a per-output-channel scale and zero zero points. */
  weight(name: string, dims: number[], perChannel: number): [string, string, string] {
    const count = dims.reduce((a, b) => a * b, 1);
    const v = seededUniform(count, 1, 25, name);
    this.g.inits.push(
      makeTensor(
        name,
        'int8',
        dims,
        new Uint8Array(Int8Array.from(v, (x) => Math.round(x * 127)).buffer),
      ),
    );
    const scales = Array.from(
      seededUniform(perChannel, 1, 25, `${name}_s`),
      (x) => 0.002 + 0.001 * x,
    );
    this.g.constant(`${name}_scale`, 'float32', [perChannel], scales);
    this.g.constant(`${name}_zero_point`, 'int8', [perChannel], new Array(perChannel).fill(0));
    return [name, `${name}_scale`, `${name}_zero_point`];
  }
  bias(name: string, n: number): string {
    const v = seededUniform(n, 1, 25, name);
    return this.g.constant(
      name,
      'int32',
      [n],
      Array.from(v, (x) => Math.round(x * 500)),
    );
  }
  ms(): void {
    const n = this.g.nodes.at(-1)!;
    n.domain = 'com.microsoft';
  }
}

export interface Int8Options {
  /** The classifier: QLinearMatMul, or DequantizeLinear then a float Gemm. */
  readonly head: 'qlinearmatmul' | 'dequantize-gemm';
  /** The input's quantization: 1/64 around 128 spreads [-1, 1] frames; 1 around 0 keeps pixels. */
  readonly input?: { readonly scale: number; readonly zeroPoint: number };
}

/**
 * onnxruntime's QOperator format: Q -> QLinearConv (per-channel) -> depthwise QLinearConv ->
 * QLinearConv -> com.microsoft QLinearAdd (residual) -> MaxPool -> two QLinearConv branches ->
 * com.microsoft QLinearConcat -> QLinearGlobalAveragePool -> Flatten -> the head -> float32.
 */
export function int8QOperator(opts: Int8Options = { head: 'qlinearmatmul' }): OnnxModel {
  const q = new QuantWriter();
  const g = q.g;
  const inp = q.scalePoint('input', opts.input?.scale ?? 1 / 64, opts.input?.zeroPoint ?? 128);
  g.node('QuantizeLinear', ['input', ...inp], ['input_quantized']);
  const qconv = (
    name: string,
    x: string,
    xq: [string, string],
    cin: number,
    cout: number,
    k: number,
    yq: [number, number],
    group = 1,
  ): [string, [string, string]] => {
    const w = q.weight(`${name}.weight_quantized`, [cout, cin / group, k, k], cout);
    const b = q.bias(`${name}.bias_quantized`, cout);
    const y = q.scalePoint(`${name}_out`, ...yq);
    const p = Math.floor(k / 2);
    g.node(
      'QLinearConv',
      [x, ...xq, ...w, ...y, b],
      [`${name}_out_quantized`],
      { group, kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1] },
      `${name}_quant`,
    );
    return [`${name}_out_quantized`, y];
  };
  const [c1, c1q] = qconv('conv1', 'input_quantized', inp, 3, 16, 3, [0.05, 0]);
  const [dw, dwq] = qconv('dw', c1, c1q, 16, 16, 3, [0.04, 0], 16);
  const [pw, pwq] = qconv('pw', dw, dwq, 16, 16, 1, [0.06, 128]);
  const addq = q.scalePoint('add_out', 0.08, 100);
  g.node('QLinearAdd', [pw, ...pwq, c1, ...c1q, ...addq], ['add_out_quantized'], {}, 'add_quant');
  q.ms();
  g.node(
    'MaxPool',
    ['add_out_quantized'],
    ['pool_out_quantized'],
    { kernel_shape: [2, 2], strides: [2, 2] },
    'pool',
  );
  const [b1, b1q] = qconv('branch1', 'pool_out_quantized', addq, 16, 8, 1, [0.05, 120]);
  const [b2, b2q] = qconv('branch2', 'pool_out_quantized', addq, 16, 8, 3, [0.07, 110]);
  const catq = q.scalePoint('concat_out', 0.07, 115);
  g.node(
    'QLinearConcat',
    [...catq, b1, ...b1q, b2, ...b2q],
    ['concat_out_quantized'],
    { axis: 1 },
    'concat_quant',
  );
  q.ms();
  const gapq = q.scalePoint('gap_out', 0.03, 90);
  g.node(
    'QLinearGlobalAveragePool',
    ['concat_out_quantized', ...catq, ...gapq],
    ['gap_out_quantized'],
    { channels_last: 0 },
    'gap_quant',
  );
  q.ms();
  g.node('Flatten', ['gap_out_quantized'], ['flat_quantized'], { axis: 1 }, 'flatten');
  if (opts.head === 'qlinearmatmul') {
    const w = q.weight('fc.weight_quantized', [16, 10], 10);
    const y = q.scalePoint('fc_out', 0.1, 128);
    g.node(
      'QLinearMatMul',
      ['flat_quantized', ...gapq, ...w, ...y],
      ['fc_out_quantized'],
      {},
      'fc_quant',
    );
    g.node('DequantizeLinear', ['fc_out_quantized', ...y], ['logits'], {}, 'output_dequant');
  } else {
    g.node('DequantizeLinear', ['flat_quantized', ...gapq], ['flat'], {}, 'flat_dequant');
    g.weight('fc.weight', [10, 16]);
    g.values('fc.bias', [10], -0.05, 0.05);
    g.node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }, 'fc');
  }
  const m = g.model({
    name: 'cnn_int8_qoperator',
    irVersion: 7,
    opset: 13,
    input: { name: 'input', shape: [1, 3, 16, 16] },
    output: { name: 'logits', shape: [1, 10] },
  });
  m.proto.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  return m;
}

/**
 * onnxruntime's QDQ format: float ops with a QuantizeLinear/DequantizeLinear pair on each
 * activation and a DequantizeLinear on each int8 weight (per channel); onnxruntime fuses them.
 */
export function int8Qdq(): OnnxModel {
  const q = new QuantWriter();
  const g = q.g;
  const qdq = (x: string, name: string, scale: number, zero: number): string => {
    const sp = q.scalePoint(name, scale, zero);
    g.node(
      'QuantizeLinear',
      [x, ...sp],
      [`${name}_QuantizeLinear_Output`],
      {},
      `${name}_QuantizeLinear`,
    );
    return g.node(
      'DequantizeLinear',
      [`${name}_QuantizeLinear_Output`, ...sp],
      [`${name}_DequantizeLinear_Output`],
      {},
      `${name}_DequantizeLinear`,
    );
  };
  const conv = (
    name: string,
    x: string,
    cin: number,
    cout: number,
    k: number,
    group = 1,
  ): string => {
    const [w, ws, wz] = q.weight(`${name}.weight_quantized`, [cout, cin / group, k, k], cout);
    g.node(
      'DequantizeLinear',
      [w, ws, wz],
      [`${name}.weight`],
      { axis: 0 },
      `${name}.weight_DequantizeLinear`,
    );
    g.values(`${name}.bias`, [cout], -0.05, 0.05);
    const p = Math.floor(k / 2);
    return g.node(
      'Conv',
      [x, `${name}.weight`, `${name}.bias`],
      [`${name}_out`],
      { group, kernel_shape: [k, k], pads: [p, p, p, p] },
      name,
    );
  };
  let x = qdq('input', 'input', 1 / 64, 128);
  const c1 = qdq(
    g.node('Relu', [conv('conv1', x, 3, 16, 3)], ['conv1_relu'], {}, 'conv1_relu'),
    'conv1_relu',
    0.05,
    0,
  );
  x = qdq(
    g.node('Relu', [conv('dw', c1, 16, 16, 3, 16)], ['dw_relu'], {}, 'dw_relu'),
    'dw_relu',
    0.04,
    0,
  );
  x = qdq(conv('pw', x, 16, 16, 1), 'pw_out', 0.06, 128);
  x = qdq(g.node('Add', [x, c1], ['add_out'], {}, 'add'), 'add_out', 0.08, 100);
  x = qdq(g.node('GlobalAveragePool', [x], ['gap_out'], {}, 'gap'), 'gap_out', 0.03, 90);
  x = g.node('Flatten', [x], ['flat'], { axis: 1 }, 'flatten');
  g.weight('fc.weight', [10, 16]);
  g.values('fc.bias', [10], -0.05, 0.05);
  g.node('Gemm', [x, 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }, 'fc');
  return g.model({
    name: 'cnn_int8_qdq',
    irVersion: 7,
    opset: 13,
    input: { name: 'input', shape: [1, 3, 16, 16] },
    output: { name: 'logits', shape: [1, 10] },
  });
}
