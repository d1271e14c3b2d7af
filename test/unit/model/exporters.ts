// Models written the way other exporters write them, built here because our machines have no
// model zoo: Caffe2's bvlc_alexnet (IR 3, opset 9, weights listed among the inputs, LRN, grouped
// convs, Reshape from an initializer, Dropout with a ratio attribute), PyTorch (flatten computed by
// Shape/Gather/Unsqueeze/Concat/Reshape, Constant nodes, a symbolic batch dim), tf2onnx/Keras
// (NHWC input, MatMul + Add instead of Gemm, names with colons) and a ResNet (BatchNormalization,
// residual Add, GlobalAveragePool).
import type { OnnxModel } from '../../../src-main/model/index';
import {
  type AttributeProto,
  type DType,
  dtypeCode,
  dtypeFromCode,
  makeTensor,
  type NodeProto,
  type TensorProto,
  valuesTensor,
} from '../../../src-main/model/onnx';
import { seededUniform } from '../../../src-main/model/seeded';

type Attr = number | number[] | string | { f: number } | { t: TensorProto };

function attribute(name: string, v: Attr): AttributeProto {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('f' in v) return { name, type: 1, f: v.f };
  return { name, type: 4, t: v.t };
}

/** A small graph builder with seeded weights. */
export class GraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private n = 0;
  constructor(private readonly seed = 7) {}

  weight(name: string, dims: number[], fanIn = dims.slice(1).reduce((a, b) => a * b, 1)): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const v = seededUniform(count, Math.sqrt(6 / fanIn), this.seed, name);
    this.inits.push(makeTensor(name, 'float32', dims, new Uint8Array(v.buffer)));
    return name;
  }
  /** Positive values (variances, scales) or small offsets. */
  values(name: string, dims: number[], lo: number, hi: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const v = seededUniform(count, 1, this.seed, name).map((x) => lo + ((x + 1) / 2) * (hi - lo));
    this.inits.push(makeTensor(name, 'float32', dims, new Uint8Array(v.buffer)));
    return name;
  }
  constant(name: string, dtype: DType, dims: number[], values: number[]): string {
    this.inits.push(valuesTensor(name, dtype, dims, values));
    return name;
  }
  node(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, Attr> = {},
    name?: string,
  ): string {
    this.nodes.push({
      name: name ?? '',
      opType: op,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    this.n++;
    return outputs[0]!;
  }

  model(opts: {
    name: string;
    irVersion: number;
    opset: number;
    input: { name: string; dtype?: DType; shape: Array<number | string> };
    /** Without a shape, onnxruntime infers it (the shape tests compare against that). */
    output: { name: string; dtype?: DType; shape?: number[] };
    weightsAsInputs?: boolean;
  }): OnnxModel {
    const vi = (name: string, dtype: DType, shape?: Array<number | string>) => ({
      name,
      type: {
        tensorType: {
          elemType: dtypeCode(dtype),
          ...(shape
            ? {
                shape: {
                  dim: shape.map((d) =>
                    typeof d === 'number' ? { dimValue: d } : { dimParam: d },
                  ),
                },
              }
            : {}),
        },
      },
    });
    const inputs = [vi(opts.input.name, opts.input.dtype ?? 'float32', opts.input.shape)];
    if (opts.weightsAsInputs) {
      for (const t of this.inits)
        inputs.push(vi(t.name!, dtypeFromCode(t.dataType, t.name!), (t.dims ?? []).map(Number)));
    }
    return {
      name: opts.name,
      proto: {
        irVersion: opts.irVersion,
        producerName: opts.name,
        opsetImport: [{ domain: '', version: opts.opset }],
        graph: {
          name: opts.name,
          node: this.nodes,
          initializer: this.inits,
          input: inputs,
          output: [vi(opts.output.name, opts.output.dtype ?? 'float32', opts.output.shape)],
        },
      },
    };
  }
}

/**
 * Caffe2's bvlc_alexnet layout (the ONNX model zoo's), channels scaled by `width` (1 = the real
 * 96-256-384-384-256 and fc 4096).
 */
export function caffe2Alexnet(width = 0.25): OnnxModel {
  const g = new GraphWriter(11);
  const c = (n: number): number => Math.max(2, Math.round(n * width));
  const [c1, c2, c3, c4, c5, fc] = [c(96), c(256), c(384), c(384), c(256), c(4096)];
  const conv = (
    i: number,
    x: string,
    cin: number,
    cout: number,
    k: number,
    a: Record<string, Attr>,
    group = 1,
  ): string => {
    g.weight(`conv${i}_w_0`, [cout, cin / group, k, k]);
    g.values(`conv${i}_b_0`, [cout], -0.05, 0.05);
    g.node('Conv', [x, `conv${i}_w_0`, `conv${i}_b_0`], [`conv${i}_1`], {
      kernel_shape: [k, k],
      ...a,
      ...(group > 1 ? { group } : {}),
    });
    return g.node('Relu', [`conv${i}_1`], [`conv${i}_2`]);
  };
  const lrn = (x: string, i: number): string =>
    g.node('LRN', [x], [`norm${i}_1`], {
      size: 5,
      alpha: { f: 0.0001 },
      beta: { f: 0.75 },
      bias: { f: 1 },
    });
  let x = conv(1, 'data_0', 3, c1, 11, { strides: [4, 4], pads: [0, 0, 0, 0] });
  // Caffe pools round up; Caffe2's exporter writes that as an extra pad at the end.
  x = g.node('MaxPool', [lrn(x, 1)], ['pool1_1'], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [0, 0, 1, 1],
  });
  x = conv(2, x, c1, c2, 5, { pads: [2, 2, 2, 2] }, 2);
  x = g.node('MaxPool', [lrn(x, 2)], ['pool2_1'], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [0, 0, 1, 1],
  });
  x = conv(3, x, c2, c3, 3, { pads: [1, 1, 1, 1] });
  x = conv(4, x, c3, c4, 3, { pads: [1, 1, 1, 1] }, 2);
  x = conv(5, x, c4, c5, 3, { pads: [1, 1, 1, 1] }, 2);
  x = g.node('MaxPool', [x], ['pool5_1'], { kernel_shape: [3, 3], strides: [2, 2] });
  g.constant('OC2_DUMMY_1', 'int64', [2], [1, c5 * 36]);
  x = g.node('Reshape', [x, 'OC2_DUMMY_1'], ['OC2_DUMMY_0']);
  const fcLayer = (i: number, x: string, k: number, n: number, relu: boolean): string => {
    g.weight(`fc${i}_w_0`, [n, k]);
    g.values(`fc${i}_b_0`, [n], -0.05, 0.05);
    const y = g.node('Gemm', [x, `fc${i}_w_0`, `fc${i}_b_0`], [`fc${i}_1`], { transB: 1 });
    return relu ? g.node('Relu', [y], [`fc${i}_2`]) : y;
  };
  x = fcLayer(6, x, c5 * 36, fc, true);
  x = g.node('Dropout', [x], ['fc6_3', '_fc6_mask_0'], { ratio: { f: 0.5 } });
  x = fcLayer(7, x, fc, fc, true);
  x = g.node('Dropout', [x], ['fc7_3', '_fc7_mask_0'], { ratio: { f: 0.5 } });
  x = fcLayer(8, x, fc, 1000, false);
  g.node('Softmax', [x], ['prob_1']);
  return g.model({
    name: 'bvlc_alexnet',
    irVersion: 3,
    opset: 9,
    input: { name: 'data_0', shape: [1, 3, 224, 224] },
    output: { name: 'prob_1', shape: [1, 1000] },
    weightsAsInputs: true,
  });
}

/** What torch.onnx.export writes for a small CNN with `x.view(x.size(0), -1)`. */
export function pytorchCnn(opset = 11): OnnxModel {
  const g = new GraphWriter(12);
  g.weight('features.0.weight', [16, 3, 3, 3]);
  g.values('features.0.bias', [16], -0.05, 0.05);
  g.weight('features.3.weight', [32, 16, 3, 3]);
  g.values('features.3.bias', [32], -0.05, 0.05);
  g.weight('classifier.0.weight', [64, 32 * 8 * 8]);
  g.values('classifier.0.bias', [64], -0.05, 0.05);
  g.weight('classifier.2.weight', [10, 64]);
  g.values('classifier.2.bias', [10], -0.05, 0.05);
  g.node(
    'Conv',
    ['input.1', 'features.0.weight', 'features.0.bias'],
    ['10'],
    { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
    'Conv_0',
  );
  g.node('Relu', ['10'], ['11'], {}, 'Relu_1');
  g.node(
    'MaxPool',
    ['11'],
    ['12'],
    { kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [2, 2] },
    'MaxPool_2',
  );
  g.node(
    'Conv',
    ['12', 'features.3.weight', 'features.3.bias'],
    ['13'],
    { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
    'Conv_3',
  );
  g.node('Relu', ['13'], ['14'], {}, 'Relu_4');
  g.node(
    'MaxPool',
    ['14'],
    ['15'],
    { kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [2, 2] },
    'MaxPool_5',
  );
  g.node('Shape', ['15'], ['16'], {}, 'Shape_6');
  g.node(
    'Constant',
    [],
    ['17'],
    { value: { t: valuesTensor('', 'int64', [], [0]) } },
    'Constant_7',
  );
  g.node('Gather', ['16', '17'], ['18'], { axis: 0 }, 'Gather_8');
  g.node(
    'Constant',
    [],
    ['19'],
    { value: { t: valuesTensor('', 'int64', [1], [-1]) } },
    'Constant_9',
  );
  if (opset >= 13) {
    g.node(
      'Constant',
      [],
      ['axes0'],
      { value: { t: valuesTensor('', 'int64', [1], [0]) } },
      'Constant_10',
    );
    g.node('Unsqueeze', ['18', 'axes0'], ['20'], {}, 'Unsqueeze_11');
  } else {
    g.node('Unsqueeze', ['18'], ['20'], { axes: [0] }, 'Unsqueeze_11');
  }
  g.node('Concat', ['20', '19'], ['21'], { axis: 0 }, 'Concat_12');
  g.node('Reshape', ['15', '21'], ['22'], {}, 'Reshape_13');
  g.node(
    'Gemm',
    ['22', 'classifier.0.weight', 'classifier.0.bias'],
    ['23'],
    { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 },
    'Gemm_14',
  );
  g.node('Relu', ['23'], ['24'], {}, 'Relu_15');
  g.node(
    'Gemm',
    ['24', 'classifier.2.weight', 'classifier.2.bias'],
    ['output'],
    { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 },
    'Gemm_16',
  );
  return g.model({
    name: 'pytorch_cnn',
    irVersion: 6,
    opset,
    input: { name: 'input.1', shape: ['batch_size', 3, 32, 32] },
    output: { name: 'output', shape: [1, 10] },
  });
}

/** What tf2onnx writes for a Keras Sequential CNN: NHWC in, Transposes around convs, MatMul + Add. */
export function tf2onnxCnn(): OnnxModel {
  const g = new GraphWriter(13);
  g.weight('sequential/conv2d/Conv2D/ReadVariableOp:0', [8, 3, 3, 3]);
  g.values('sequential/conv2d/BiasAdd/ReadVariableOp:0', [8], -0.05, 0.05);
  g.constant('const_fold_opt__12', 'int64', [2], [-1, 8 * 16 * 16]);
  g.weight('sequential/dense/MatMul/ReadVariableOp:0', [8 * 16 * 16, 48], 8 * 16 * 16);
  g.values('sequential/dense/BiasAdd/ReadVariableOp:0', [48], -0.05, 0.05);
  g.weight('sequential/dense_1/MatMul/ReadVariableOp:0', [48, 10], 48);
  g.values('sequential/dense_1/BiasAdd/ReadVariableOp:0', [10], -0.05, 0.05);
  g.node(
    'Transpose',
    ['input_1'],
    ['sequential/conv2d/BiasAdd__6:0'],
    { perm: [0, 3, 1, 2] },
    'sequential/conv2d/BiasAdd__6',
  );
  g.node(
    'Conv',
    [
      'sequential/conv2d/BiasAdd__6:0',
      'sequential/conv2d/Conv2D/ReadVariableOp:0',
      'sequential/conv2d/BiasAdd/ReadVariableOp:0',
    ],
    ['sequential/conv2d/BiasAdd:0'],
    { kernel_shape: [3, 3], strides: [1, 1], auto_pad: 'SAME_UPPER', dilations: [1, 1] },
    'sequential/conv2d/BiasAdd',
  );
  g.node(
    'Relu',
    ['sequential/conv2d/BiasAdd:0'],
    ['sequential/conv2d/Relu:0'],
    {},
    'sequential/conv2d/Relu',
  );
  g.node(
    'MaxPool',
    ['sequential/conv2d/Relu:0'],
    ['sequential/max_pooling2d/MaxPool:0'],
    { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' },
    'sequential/max_pooling2d/MaxPool',
  );
  g.node(
    'Transpose',
    ['sequential/max_pooling2d/MaxPool:0'],
    ['sequential/max_pooling2d/MaxPool__10:0'],
    { perm: [0, 2, 3, 1] },
    'sequential/max_pooling2d/MaxPool__10',
  );
  g.node(
    'Reshape',
    ['sequential/max_pooling2d/MaxPool__10:0', 'const_fold_opt__12'],
    ['sequential/flatten/Reshape:0'],
    {},
    'sequential/flatten/Reshape',
  );
  g.node(
    'MatMul',
    ['sequential/flatten/Reshape:0', 'sequential/dense/MatMul/ReadVariableOp:0'],
    ['sequential/dense/MatMul:0'],
    {},
    'sequential/dense/MatMul',
  );
  g.node(
    'Add',
    ['sequential/dense/MatMul:0', 'sequential/dense/BiasAdd/ReadVariableOp:0'],
    ['sequential/dense/BiasAdd:0'],
    {},
    'sequential/dense/BiasAdd',
  );
  g.node(
    'Relu',
    ['sequential/dense/BiasAdd:0'],
    ['sequential/dense/Relu:0'],
    {},
    'sequential/dense/Relu',
  );
  g.node(
    'MatMul',
    ['sequential/dense/Relu:0', 'sequential/dense_1/MatMul/ReadVariableOp:0'],
    ['sequential/dense_1/MatMul:0'],
    {},
    'sequential/dense_1/MatMul',
  );
  g.node(
    'Add',
    ['sequential/dense_1/MatMul:0', 'sequential/dense_1/BiasAdd/ReadVariableOp:0'],
    ['sequential/dense_1/BiasAdd:0'],
    {},
    'sequential/dense_1/BiasAdd',
  );
  g.node(
    'Softmax',
    ['sequential/dense_1/BiasAdd:0'],
    ['dense_1'],
    { axis: -1 },
    'sequential/dense_1/Softmax',
  );
  return g.model({
    name: 'keras_cnn',
    irVersion: 7,
    opset: 13,
    input: { name: 'input_1', shape: ['unk__18', 32, 32, 3] },
    output: { name: 'dense_1', shape: [1, 10] },
  });
}

/** A ResNet with a stem, one identity block and one downsampling block. */
export function resnetCnn(): OnnxModel {
  const g = new GraphWriter(14);
  const convBn = (
    name: string,
    x: string,
    cin: number,
    cout: number,
    k: number,
    stride: number,
    relu: boolean,
  ): string => {
    g.weight(`${name}.weight`, [cout, cin, k, k]);
    g.node(
      'Conv',
      [x, `${name}.weight`],
      [`${name}.out`],
      {
        kernel_shape: [k, k],
        strides: [stride, stride],
        pads: new Array(4).fill(Math.floor(k / 2)),
      },
      `${name}`,
    );
    const bn = [`${name}.bn.scale`, `${name}.bn.bias`, `${name}.bn.mean`, `${name}.bn.var`];
    g.values(bn[0]!, [cout], 0.5, 1.5);
    g.values(bn[1]!, [cout], -0.1, 0.1);
    g.values(bn[2]!, [cout], -0.1, 0.1);
    g.values(bn[3]!, [cout], 0.5, 2);
    const y = g.node(
      'BatchNormalization',
      [`${name}.out`, ...bn],
      [`${name}.bn`],
      { epsilon: { f: 1e-5 } },
      `${name}.bn`,
    );
    return relu ? g.node('Relu', [y], [`${name}.relu`], {}, `${name}.relu`) : y;
  };
  let x = convBn('stem', 'images', 3, 16, 3, 1, true);
  // Identity block.
  let y = convBn('layer1.conv1', x, 16, 16, 3, 1, true);
  y = convBn('layer1.conv2', y, 16, 16, 3, 1, false);
  g.node('Add', [y, x], ['layer1.add'], {}, 'layer1.add');
  x = g.node('Relu', ['layer1.add'], ['layer1.out'], {}, 'layer1.relu');
  // Downsampling block with a 1x1 projection shortcut.
  y = convBn('layer2.conv1', x, 16, 32, 3, 2, true);
  y = convBn('layer2.conv2', y, 32, 32, 3, 1, false);
  const s = convBn('layer2.down', x, 16, 32, 1, 2, false);
  g.node('Add', [y, s], ['layer2.add'], {}, 'layer2.add');
  x = g.node('Relu', ['layer2.add'], ['layer2.out'], {}, 'layer2.relu');
  g.node('GlobalAveragePool', [x], ['pool'], {}, 'avgpool');
  g.node('Flatten', ['pool'], ['flat'], { axis: 1 }, 'flatten');
  g.weight('fc.weight', [10, 32]);
  g.values('fc.bias', [10], -0.05, 0.05);
  g.node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }, 'fc');
  return g.model({
    name: 'resnet_small',
    irVersion: 7,
    opset: 13,
    input: { name: 'images', shape: [1, 3, 32, 32] },
    output: { name: 'logits', shape: [1, 10] },
  });
}
