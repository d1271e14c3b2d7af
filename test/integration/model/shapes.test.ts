// Shape inference checked against onnxruntime itself: for each operator form, a one-node model
// is analysed by the toolkit and run by onnxruntime, and the output shapes must agree.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { analyseModel, encodeModel } from '../../../src-main/model/index';
import type { DType } from '../../../src-main/model/onnx';
import { GraphWriter } from '../../unit/model/exporters';

interface Case {
  name: string;
  op: string;
  input: number[];
  /** Constant inputs after x: a weight (random) or explicit values. */
  consts?: Array<{ dims: number[]; dtype?: DType; values?: number[] }>;
  attrs?: Record<string, number | number[] | string | { f: number }>;
  opset?: number;
  outDtype?: DType;
  expected: number[];
}

const CASES: Case[] = [
  {
    name: 'Conv strides, asymmetric pads, dilations',
    op: 'Conv',
    input: [1, 3, 17, 17],
    consts: [{ dims: [8, 3, 3, 3] }],
    attrs: { strides: [2, 2], pads: [1, 0, 2, 1], dilations: [2, 1] },
    expected: [1, 8, 8, 8],
  },
  {
    name: 'Conv SAME_LOWER stride 3',
    op: 'Conv',
    input: [1, 3, 17, 17],
    consts: [{ dims: [4, 3, 4, 4] }, { dims: [4] }],
    attrs: { auto_pad: 'SAME_LOWER', strides: [3, 3] },
    expected: [1, 4, 6, 6],
  },
  {
    name: 'Conv SAME_UPPER',
    op: 'Conv',
    input: [1, 3, 10, 10],
    consts: [{ dims: [4, 3, 3, 3] }],
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
    expected: [1, 4, 5, 5],
  },
  {
    name: 'Conv grouped VALID',
    op: 'Conv',
    input: [1, 8, 9, 9],
    consts: [{ dims: [12, 2, 3, 3] }],
    attrs: { group: 4, auto_pad: 'VALID' },
    expected: [1, 12, 7, 7],
  },
  {
    name: 'Conv depthwise',
    op: 'Conv',
    input: [1, 6, 8, 8],
    consts: [{ dims: [6, 1, 3, 3] }],
    attrs: { group: 6, pads: [1, 1, 1, 1] },
    expected: [1, 6, 8, 8],
  },
  {
    name: 'Conv 1-D',
    op: 'Conv',
    input: [1, 2, 20],
    consts: [{ dims: [3, 2, 5] }],
    attrs: { strides: [2] },
    expected: [1, 3, 8],
  },
  {
    name: 'MaxPool ceil_mode',
    op: 'MaxPool',
    input: [1, 2, 14, 14],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    expected: [1, 2, 7, 7],
  },
  {
    name: 'MaxPool ceil_mode with pads',
    op: 'MaxPool',
    input: [1, 2, 13, 13],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 },
    expected: [1, 2, 7, 7],
  },
  {
    name: 'MaxPool dilations',
    op: 'MaxPool',
    input: [1, 2, 12, 12],
    attrs: { kernel_shape: [2, 2], dilations: [2, 2] },
    opset: 12,
    expected: [1, 2, 10, 10],
  },
  {
    name: 'AveragePool pads',
    op: 'AveragePool',
    input: [1, 2, 15, 15],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    expected: [1, 2, 8, 8],
  },
  {
    name: 'GlobalAveragePool',
    op: 'GlobalAveragePool',
    input: [1, 5, 7, 7],
    expected: [1, 5, 1, 1],
  },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', input: [1, 5, 7, 3], expected: [1, 5, 1, 1] },
  {
    name: 'LRN',
    op: 'LRN',
    input: [1, 6, 5, 5],
    attrs: { size: 3, alpha: { f: 1e-4 }, beta: { f: 0.75 } },
    expected: [1, 6, 5, 5],
  },
  {
    name: 'BatchNormalization',
    op: 'BatchNormalization',
    input: [1, 4, 3, 3],
    consts: [
      { dims: [4], values: [1, 2, 3, 4] },
      { dims: [4] },
      { dims: [4] },
      { dims: [4], values: [1, 1, 1, 1] },
    ],
    expected: [1, 4, 3, 3],
  },
  {
    name: 'Gemm transA, alpha, beta, broadcast C',
    op: 'Gemm',
    input: [5, 3],
    consts: [{ dims: [5, 7] }, { dims: [7] }],
    attrs: { transA: 1, alpha: { f: 0.5 }, beta: { f: 2 } },
    expected: [3, 7],
  },
  {
    name: 'Gemm transB, scalar C',
    op: 'Gemm',
    input: [2, 6],
    consts: [{ dims: [4, 6] }, { dims: [], values: [0.5] }],
    attrs: { transB: 1 },
    expected: [2, 4],
  },
  {
    name: 'MatMul batched',
    op: 'MatMul',
    input: [2, 3, 4, 5],
    consts: [{ dims: [5, 6] }],
    expected: [2, 3, 4, 6],
  },
  {
    name: 'MatMul 1-D by 2-D',
    op: 'MatMul',
    input: [5],
    consts: [{ dims: [5, 6] }],
    expected: [6],
  },
  {
    name: 'MatMul 2-D by 1-D',
    op: 'MatMul',
    input: [4, 5],
    consts: [{ dims: [5] }],
    expected: [4],
  },
  {
    name: 'MatMul broadcast batch',
    op: 'MatMul',
    input: [1, 4, 5],
    consts: [{ dims: [3, 5, 2] }],
    expected: [3, 4, 2],
  },
  {
    name: 'Add broadcasting both ways',
    op: 'Add',
    input: [1, 3, 1, 5],
    consts: [{ dims: [4, 1] }],
    expected: [1, 3, 4, 5],
  },
  { name: 'Sub', op: 'Sub', input: [2, 3], consts: [{ dims: [3] }], expected: [2, 3] },
  {
    name: 'Mul per channel',
    op: 'Mul',
    input: [1, 3, 4, 4],
    consts: [{ dims: [3, 1, 1] }],
    expected: [1, 3, 4, 4],
  },
  {
    name: 'Div scalar',
    op: 'Div',
    input: [2, 2],
    consts: [{ dims: [], values: [4] }],
    expected: [2, 2],
  },
  {
    name: 'Flatten axis -2',
    op: 'Flatten',
    input: [1, 3, 4, 5],
    attrs: { axis: -2 },
    expected: [3, 20],
  },
  {
    name: 'Flatten axis 0',
    op: 'Flatten',
    input: [1, 3, 4, 5],
    attrs: { axis: 0 },
    expected: [1, 60],
  },
  {
    name: 'Reshape 0 and -1',
    op: 'Reshape',
    input: [1, 3, 4, 5],
    consts: [{ dims: [2], dtype: 'int64', values: [0, -1] }],
    expected: [1, 60],
  },
  {
    name: 'Reshape explicit',
    op: 'Reshape',
    input: [1, 3, 4, 5],
    consts: [{ dims: [3], dtype: 'int64', values: [3, -1, 2] }],
    expected: [3, 10, 2],
  },
  {
    name: 'Transpose perm',
    op: 'Transpose',
    input: [1, 3, 4, 5],
    attrs: { perm: [0, 2, 3, 1] },
    expected: [1, 4, 5, 3],
  },
  { name: 'Transpose default', op: 'Transpose', input: [2, 3, 4], expected: [4, 3, 2] },
  {
    name: 'Concat axis -1',
    op: 'Concat',
    input: [1, 2, 3],
    consts: [{ dims: [1, 2, 4] }],
    attrs: { axis: -1 },
    expected: [1, 2, 7],
  },
  {
    name: 'Softmax opset 11 default axis',
    op: 'Softmax',
    input: [2, 3, 4],
    opset: 11,
    expected: [2, 3, 4],
  },
  { name: 'Softmax opset 13', op: 'Softmax', input: [2, 3], expected: [2, 3] },
  { name: 'LogSoftmax', op: 'LogSoftmax', input: [2, 3], expected: [2, 3] },
  { name: 'Relu', op: 'Relu', input: [3, 4], expected: [3, 4] },
  {
    name: 'LeakyRelu',
    op: 'LeakyRelu',
    input: [3, 4],
    attrs: { alpha: { f: 0.1 } },
    expected: [3, 4],
  },
  { name: 'Sigmoid', op: 'Sigmoid', input: [3, 4], expected: [3, 4] },
  { name: 'Tanh', op: 'Tanh', input: [3, 4], expected: [3, 4] },
  {
    name: 'Clip opset 6 attributes',
    op: 'Clip',
    input: [3, 4],
    attrs: { min: { f: 0 }, max: { f: 6 } },
    opset: 6,
    expected: [3, 4],
  },
  {
    name: 'Clip opset 11 inputs',
    op: 'Clip',
    input: [3, 4],
    consts: [
      { dims: [], values: [0] },
      { dims: [], values: [6] },
    ],
    opset: 11,
    expected: [3, 4],
  },
  {
    name: 'Dropout opset 7 ratio attribute',
    op: 'Dropout',
    input: [2, 5],
    attrs: { ratio: { f: 0.3 } },
    opset: 7,
    expected: [2, 5],
  },
  {
    name: 'Dropout opset 12 ratio input',
    op: 'Dropout',
    input: [2, 5],
    consts: [{ dims: [], values: [0.3] }],
    opset: 12,
    expected: [2, 5],
  },
  { name: 'Identity', op: 'Identity', input: [2, 5], expected: [2, 5] },
  {
    name: 'Cast to int32',
    op: 'Cast',
    input: [2, 5],
    attrs: { to: 6 },
    outDtype: 'int32',
    expected: [2, 5],
  },
  {
    name: 'Unsqueeze opset 11',
    op: 'Unsqueeze',
    input: [3, 4],
    attrs: { axes: [0, 3] },
    opset: 11,
    expected: [1, 3, 4, 1],
  },
  {
    name: 'Unsqueeze opset 13',
    op: 'Unsqueeze',
    input: [3, 4],
    consts: [{ dims: [1], dtype: 'int64', values: [-1] }],
    expected: [3, 4, 1],
  },
  {
    name: 'Squeeze',
    op: 'Squeeze',
    input: [1, 3, 1, 4],
    attrs: { axes: [2] },
    opset: 11,
    expected: [1, 3, 4],
  },
  {
    name: 'Gather',
    op: 'Gather',
    input: [5, 4],
    consts: [{ dims: [2], dtype: 'int64', values: [4, 0] }],
    attrs: { axis: 0 },
    expected: [2, 4],
  },
];

async function ortShape(c: Case): Promise<number[]> {
  const g = new GraphWriter();
  const inputs = ['x'];
  c.consts?.forEach((k, i) => {
    const name = `c${i}`;
    if (k.values) g.constant(name, k.dtype ?? 'float32', k.dims, k.values);
    else
      g.weight(
        name,
        k.dims,
        Math.max(
          1,
          k.dims.slice(1).reduce((a, b) => a * b, 1),
        ),
      );
    inputs.push(name);
  });
  g.node(c.op, inputs, ['y'], c.attrs ?? {}, 'the_node');
  const model = g.model({
    name: c.name,
    irVersion: 7,
    opset: c.opset ?? 13,
    input: { name: 'x', shape: c.input },
    output: { name: 'y', dtype: c.outDtype },
  });
  const ours = [...analyseModel(model).output.shape];
  const session = await ort.InferenceSession.create(encodeModel(model));
  const n = c.input.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
    c.input,
  );
  const theirs = [...(await session.run({ x })).y!.dims];
  expect(ours).toEqual(theirs);
  return ours;
}

describe('shape inference agrees with onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(await ortShape(c)).toEqual(c.expected);
    });
  }
});
