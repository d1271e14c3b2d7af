// The ONNX Model Zoo's other ImageNet families, built as their exporters write them (small widths
// and frames, seeded weights): Caffe2's GoogLeNet (IR 3, weights among the inputs, LRN, inception
// branches joined by Concat, AveragePool, Dropout, Reshape), PyTorch's MobileNetV2 (depthwise
// convs, Clip as ReLU6 with min/max inputs or, before opset 11, attributes, residual Add,
// GlobalAveragePool, Flatten, Gemm), Caffe2's SqueezeNet (fire modules), a float16 CNN with Cast in
// and out, and MXNet's ResNet50 v1 (BatchNormalization, residual Adds); int8 models are in
// int8-exporters.ts.
import type { OnnxModel } from '../../../src-main/model/index';
import { tensorValues, valuesTensor } from '../../../src-main/model/onnx';
import { GraphWriter } from './exporters';

/** GoogLeNet's two first inception modules on a 64x64 frame, channels scaled by `width`. */
export function googlenetCaffe2(width = 0.125): OnnxModel {
  const g = new GraphWriter(21);
  const c = (n: number): number => Math.max(2, Math.round(n * width));
  const conv = (name: string, x: string, cin: number, cout: number, k: number, s = 1): string => {
    g.weight(`${name}_w_0`, [cout, cin, k, k]);
    g.values(`${name}_b_0`, [cout], -0.05, 0.05);
    const p = Math.floor(k / 2);
    g.node('Conv', [x, `${name}_w_0`, `${name}_b_0`], [`${name}_1`], {
      kernel_shape: [k, k],
      strides: [s, s],
      pads: [p, p, p, p],
    });
    return g.node('Relu', [`${name}_1`], [`${name}_2`]);
  };
  const lrn = (x: string, name: string): string =>
    g.node('LRN', [x], [name], {
      size: 5,
      alpha: { f: 0.0001 },
      beta: { f: 0.75 },
      bias: { f: 1 },
    });
  const maxPool = (x: string, name: string, s: number): string =>
    g.node('MaxPool', [x], [name], {
      kernel_shape: [3, 3],
      strides: [s, s],
      pads: s === 1 ? [1, 1, 1, 1] : [0, 0, 1, 1],
    });
  const inception = (name: string, x: string, cin: number, widths: number[]): [string, number] => {
    const [b1, b3r, b3, b5r, b5, bp] = widths.map(c) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const one = conv(`${name}/1x1`, x, cin, b1, 1);
    const three = conv(`${name}/3x3`, conv(`${name}/3x3_reduce`, x, cin, b3r, 1), b3r, b3, 3);
    const five = conv(`${name}/5x5`, conv(`${name}/5x5_reduce`, x, cin, b5r, 1), b5r, b5, 5);
    const pool = conv(`${name}/pool_proj`, maxPool(x, `${name}/pool_1`, 1), cin, bp, 1);
    g.node('Concat', [one, three, five, pool], [`${name}/output_1`], { axis: 1 });
    return [`${name}/output_1`, b1 + b3 + b5 + bp];
  };
  let x = conv('conv1/7x7_s2', 'data_0', 3, c(64), 7, 2);
  x = lrn(maxPool(x, 'pool1/3x3_s2_1', 2), 'pool1/norm1_1');
  x = conv('conv2/3x3_reduce', x, c(64), c(64), 1);
  x = conv('conv2/3x3', x, c(64), c(192), 3);
  x = maxPool(lrn(x, 'conv2/norm2_1'), 'pool2/3x3_s2_1', 2);
  let cin = c(192);
  [x, cin] = inception('inception_3a', x, cin, [64, 96, 128, 16, 32, 32]);
  [x, cin] = inception('inception_3b', x, cin, [128, 128, 192, 32, 96, 64]);
  x = maxPool(x, 'pool3/3x3_s2_1', 2);
  x = g.node('AveragePool', [x], ['pool5/7x7_s1_1'], { kernel_shape: [4, 4], strides: [1, 1] });
  x = g.node('Dropout', [x], ['pool5/drop_7x7_s1_1', '_pool5/drop_mask'], { ratio: { f: 0.4 } });
  g.constant('OC2_DUMMY_1', 'int64', [2], [1, cin]);
  x = g.node('Reshape', [x, 'OC2_DUMMY_1'], ['OC2_DUMMY_0']);
  g.weight('loss3/classifier_w_0', [100, cin]);
  g.values('loss3/classifier_b_0', [100], -0.05, 0.05);
  g.node('Gemm', [x, 'loss3/classifier_w_0', 'loss3/classifier_b_0'], ['loss3/classifier_1'], {
    transB: 1,
  });
  g.node('Softmax', ['loss3/classifier_1'], ['prob_1']);
  return g.model({
    name: 'googlenet',
    irVersion: 3,
    opset: 9,
    input: { name: 'data_0', shape: [1, 3, 64, 64] },
    output: { name: 'prob_1', shape: [1, 100] },
    weightsAsInputs: true,
  });
}

export interface MobileNetShape {
  /** Channel multiplier (1 = the real 32-16-24-32-64-96-160-320-1280). */
  readonly width: number;
  readonly size: number;
  /** Inverted residual settings (t, c, n, s), as torchvision lists them. */
  readonly blocks: ReadonlyArray<readonly [number, number, number, number]>;
  readonly classes: number;
  /** 11+ writes Clip's bounds as inputs; 6-10 as attributes. */
  readonly opset: number;
}

export const MOBILENETV2_FULL: MobileNetShape = {
  width: 1,
  size: 224,
  blocks: [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ],
  classes: 1000,
  opset: 11,
};

export const MOBILENETV2_SMALL: MobileNetShape = {
  width: 0.25,
  size: 32,
  blocks: [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 1, 2],
  ],
  classes: 10,
  opset: 11,
};

/** torchvision's MobileNetV2 as torch.onnx.export writes it (BatchNorm folded into the convs). */
export function mobilenetV2Pytorch(shape: MobileNetShape = MOBILENETV2_SMALL): OnnxModel {
  const g = new GraphWriter(22);
  const ch = (n: number): number => Math.max(4, Math.round((n * shape.width) / 4) * 4);
  let t = 0;
  const next = (): string => `${++t}`;
  const relu6 = (x: string): string => {
    if (shape.opset < 11) return g.node('Clip', [x], [next()], { min: { f: 0 }, max: { f: 6 } });
    const lo = g.node('Constant', [], [next()], {
      value: { t: valuesTensor('', 'float32', [], [0]) },
    });
    const hi = g.node('Constant', [], [next()], {
      value: { t: valuesTensor('', 'float32', [], [6]) },
    });
    return g.node('Clip', [x, lo, hi], [next()]);
  };
  const conv = (
    name: string,
    x: string,
    cin: number,
    cout: number,
    k: number,
    s: number,
    group = 1,
  ): string => {
    g.weight(`${name}.weight`, [cout, cin / group, k, k]);
    g.values(`${name}.bias`, [cout], -0.05, 0.05);
    const p = Math.floor(k / 2);
    return g.node('Conv', [x, `${name}.weight`, `${name}.bias`], [next()], {
      dilations: [1, 1],
      group,
      kernel_shape: [k, k],
      pads: [p, p, p, p],
      strides: [s, s],
    });
  };
  let cin = ch(32);
  let x = relu6(conv('features.0.0', 'input', 3, cin, 3, 2));
  let f = 1;
  for (const [expand, c, n, s] of shape.blocks) {
    const cout = ch(c);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = cin * expand;
      const name = `features.${f++}.conv`;
      let y = x;
      if (expand !== 1) y = relu6(conv(`${name}.0.0`, y, cin, hidden, 1, 1));
      y = relu6(conv(`${name}.1.0`, y, hidden, hidden, 3, stride, hidden));
      y = conv(`${name}.2`, y, hidden, cout, 1, 1);
      x = stride === 1 && cin === cout ? g.node('Add', [x, y], [next()]) : y;
      cin = cout;
    }
  }
  const last = ch(1280);
  x = relu6(conv(`features.${f}.0`, x, cin, last, 1, 1));
  x = g.node('GlobalAveragePool', [x], [next()]);
  x = g.node('Flatten', [x], [next()], { axis: 1 });
  g.weight('classifier.1.weight', [shape.classes, last]);
  g.values('classifier.1.bias', [shape.classes], -0.05, 0.05);
  g.node('Gemm', [x, 'classifier.1.weight', 'classifier.1.bias'], ['output'], {
    alpha: { f: 1 },
    beta: { f: 1 },
    transB: 1,
  });
  return g.model({
    name: 'mobilenetv2',
    irVersion: shape.opset < 11 ? 5 : 6,
    opset: shape.opset,
    input: { name: 'input', shape: ['batch_size', 3, shape.size, shape.size] },
    output: { name: 'output', shape: [1, shape.classes] },
  });
}

/** SqueezeNet 1.1 as Caffe2 exported it (the zoo's and the fp16 file's layout), on 64x64. */
export function squeezenetCaffe2(width = 0.25): OnnxModel {
  const g = new GraphWriter(23);
  const c = (n: number): number => Math.max(2, Math.round(n * width));
  const conv = (name: string, x: string, cin: number, cout: number, k: number, s = 1): string => {
    g.weight(`${name}_w_0`, [cout, cin, k, k]);
    g.values(`${name}_b_0`, [cout], -0.05, 0.05);
    const p = k === 3 && name !== 'conv1' ? 1 : 0;
    g.node('Conv', [x, `${name}_w_0`, `${name}_b_0`], [`${name}_1`], {
      kernel_shape: [k, k],
      strides: [s, s],
      pads: [p, p, p, p],
    });
    return g.node('Relu', [`${name}_1`], [`${name}_2`]);
  };
  const fire = (i: number, x: string, cin: number, sq: number, ex: number): [string, number] => {
    const s = conv(`fire${i}/squeeze1x1`, x, cin, c(sq), 1);
    const e1 = conv(`fire${i}/expand1x1`, s, c(sq), c(ex), 1);
    const e3 = conv(`fire${i}/expand3x3`, s, c(sq), c(ex), 3);
    g.node('Concat', [e1, e3], [`fire${i}/concat_1`], { axis: 1 });
    return [`fire${i}/concat_1`, 2 * c(ex)];
  };
  const pool = (x: string, name: string): string =>
    g.node('MaxPool', [x], [name], { kernel_shape: [3, 3], strides: [2, 2] });
  let x = pool(conv('conv1', 'data_0', 3, c(64), 3, 2), 'pool1_1');
  let cin = c(64);
  [x, cin] = fire(2, x, cin, 16, 64);
  [x, cin] = fire(3, x, cin, 16, 64);
  x = pool(x, 'pool3_1');
  [x, cin] = fire(4, x, cin, 32, 128);
  [x, cin] = fire(5, x, cin, 32, 128);
  x = g.node('Dropout', [x], ['fire5/concat_2', '_fire5/mask'], { ratio: { f: 0.5 } });
  x = conv('conv10', x, cin, 100, 1);
  x = g.node('GlobalAveragePool', [x], ['pool10_1']);
  g.node('Softmax', [x], ['softmaxout_1'], { axis: 1 });
  return g.model({
    name: 'squeezenet',
    irVersion: 3,
    opset: 7,
    input: { name: 'data_0', shape: [1, 3, 64, 64] },
    output: { name: 'softmaxout_1', shape: [1, 100, 1, 1] },
    weightsAsInputs: true,
  });
}

/** A float16 CNN behind a float32 interface: Cast in, float16 weights, Cast out. */
export function float16Cnn(): OnnxModel {
  const g = new GraphWriter(24);
  g.node('Cast', ['images'], ['x16'], { to: 10 });
  g.weight('conv1.weight', [8, 3, 3, 3]);
  g.values('conv1.bias', [8], -0.05, 0.05);
  g.node('Conv', ['x16', 'conv1.weight', 'conv1.bias'], ['c1'], { pads: [1, 1, 1, 1] });
  g.node('Relu', ['c1'], ['r1']);
  g.node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] });
  g.weight('conv2.weight', [16, 8, 3, 3]);
  g.values('conv2.bias', [16], -0.05, 0.05);
  g.node('Conv', ['p1', 'conv2.weight', 'conv2.bias'], ['c2'], { pads: [1, 1, 1, 1] });
  g.node('Relu', ['c2'], ['r2']);
  g.node('GlobalAveragePool', ['r2'], ['gap']);
  g.node('Flatten', ['gap'], ['flat'], { axis: 1 });
  g.weight('fc.weight', [10, 16]);
  g.values('fc.bias', [10], -0.05, 0.05);
  g.node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits16'], { transB: 1 });
  g.node('Cast', ['logits16'], ['logits'], { to: 1 });
  // Every weight in float16, as onnxconverter-common's convert_float_to_float16 leaves them.
  g.inits.forEach((t, i) => {
    g.inits[i] = valuesTensor(t.name!, 'float16', (t.dims ?? []).map(Number), tensorValues(t));
  });
  return g.model({
    name: 'cnn_fp16',
    irVersion: 7,
    opset: 13,
    input: { name: 'images', shape: [1, 3, 16, 16] },
    output: { name: 'logits', shape: [1, 10] },
  });
}

/**
 * ResNet50 v1 as the zoo's MXNet export lays it out (Conv + BatchNormalization + Relu, bottleneck
 * blocks of 3-4-6-3 with 1x1 projection shortcuts and residual Adds, GlobalAveragePool, Flatten,
 * Gemm), full-size unless `width` and `size` shrink it.
 */
export function resnet50Mxnet(width = 1, size = 224, classes = 1000): OnnxModel {
  const g = new GraphWriter(26);
  const ch = (n: number): number => Math.max(2, Math.round(n * width));
  let n = 0;
  const convBn = (
    x: string,
    cin: number,
    cout: number,
    k: number,
    s: number,
    relu: boolean,
  ): string => {
    const name = `resnetv17_conv${n}`;
    const bn = `resnetv17_batchnorm${n++}`;
    g.weight(`${name}_weight`, [cout, cin, k, k]);
    const p = Math.floor(k / 2);
    g.node(
      'Conv',
      [x, `${name}_weight`],
      [`${name}_fwd`],
      { kernel_shape: [k, k], pads: [p, p, p, p], strides: [s, s] },
      name,
    );
    const params = ['gamma', 'beta', 'running_mean', 'running_var'].map((q) => `${bn}_${q}`);
    g.values(params[0]!, [cout], 0.5, 1.0);
    g.values(params[1]!, [cout], -0.1, 0.1);
    g.values(params[2]!, [cout], -0.1, 0.1);
    g.values(params[3]!, [cout], 0.5, 2);
    const y = g.node(
      'BatchNormalization',
      [`${name}_fwd`, ...params],
      [`${bn}_fwd`],
      { epsilon: { f: 1e-5 } },
      bn,
    );
    return relu ? g.node('Relu', [y], [`${bn}_relu_fwd`], {}, `${bn}_relu`) : y;
  };
  let x = convBn('data', 3, ch(64), 7, 2, true);
  x = g.node(
    'MaxPool',
    [x],
    ['resnetv17_pool0_fwd'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
    'resnetv17_pool0',
  );
  let cin = ch(64);
  let add = 0;
  for (const [stage, [blocks, mid]] of (
    [
      [3, 64],
      [4, 128],
      [6, 256],
      [3, 512],
    ] as const
  ).entries()) {
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 && stage > 0 ? 2 : 1;
      const out = ch(mid * 4);
      let y = convBn(x, cin, ch(mid), 1, s, true);
      y = convBn(y, ch(mid), ch(mid), 3, 1, true);
      y = convBn(y, ch(mid), out, 1, 1, false);
      const short = b === 0 ? convBn(x, cin, out, 1, s, false) : x;
      const sum = g.node(
        'Add',
        [y, short],
        [`resnetv17_stage${stage + 1}__plus${add}`],
        {},
        `resnetv17_stage${stage + 1}__plus${add}`,
      );
      x = g.node('Relu', [sum], [`resnetv17_stage${stage + 1}_activation${add++}`]);
      cin = out;
    }
  }
  x = g.node('GlobalAveragePool', [x], ['resnetv17_pool1_fwd'], {}, 'resnetv17_pool1');
  x = g.node('Flatten', [x], ['flatten_473'], { axis: 1 });
  g.weight('resnetv17_dense0_weight', [classes, cin]);
  g.values('resnetv17_dense0_bias', [classes], -0.05, 0.05);
  g.node(
    'Gemm',
    [x, 'resnetv17_dense0_weight', 'resnetv17_dense0_bias'],
    ['resnetv17_dense0_fwd'],
    { transB: 1 },
    'resnetv17_dense0_fwd',
  );
  return g.model({
    name: 'resnet50_v1',
    irVersion: 7,
    opset: 12,
    input: { name: 'data', shape: ['N', 3, size, size] },
    output: { name: 'resnetv17_dense0_fwd', shape: [1, classes] },
  });
}
