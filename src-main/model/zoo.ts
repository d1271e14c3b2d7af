// The built-in models. Our machines have no trained weights, so the zoo builds the published
// architectures with deterministic He-initialised weights: each tensor's values come from the
// seed and the tensor's name alone, so a model rebuilds bit for bit; they are made only when read.
// Every zoo model takes uint8 NHWC frames [1,224,224,3] (1 byte per pixel on the wire) and starts
// with the preprocessing prefix (Cast, ImageNet mean/std, Transpose to NCHW); it ends in softmax
// probabilities [1,1000].
import { z } from 'zod';
import { TORCH_INPUT } from '../contract/modelCard';
import { APP_VERSION } from '../version';
import { seededUniform } from './seeded';
import {
  attrInt,
  attrInts,
  type GraphProto,
  lazyTensor,
  numel,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
  valueInfo,
} from './onnx';
import { inputPrefix } from './wrap';

export const ZOO_NAMES = ['tiny-cnn', 'alexnet-mc', 'alexnet', 'vgg16'] as const;
export const ZooName = z.enum(ZOO_NAMES);
export type ZooName = z.infer<typeof ZooName>;

export const ZOO_DESCRIPTIONS: Readonly<Record<ZooName, string>> = {
  'tiny-cnn': 'a 3-conv, 2-fc CNN for fast tests (a few ms per frame)',
  'alexnet-mc':
    "Musical Chair's single-stream AlexNet (48-128-192-192-128 convs, flatten 6272, fc 4096-4096-1000)",
  alexnet: 'torchvision AlexNet (64-192-384-256-256 convs, flatten 9216, fc 4096-4096-1000)',
  vgg16: 'VGG16 (13 convs in 5 blocks, fc 4096-4096-1000; 528 MB in float32)',
};

export const OPSET = 13;
export const IR_VERSION = 8;

/**
 * A float32 tensor made by `generate(from, to)` (its values [from, to)) when its bytes are needed
 * (partitioning, saving, running), never while a plan is costed: VGG16's 138 M weights take
 * ~0.5 s and 528 MB to make at once, so they are made in the pieces being written.
 */
function generatedTensor(
  name: string,
  dims: readonly number[],
  generate: (from: number, to: number) => Float32Array,
): TensorProto {
  const byteLength = numel(dims) * 4;
  return lazyTensor(name, 'float32', dims, {
    byteLength,
    read: (start = 0, end = byteLength) => {
      const first = Math.floor(start / 4);
      const v = generate(first, Math.ceil(end / 4));
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return bytes.subarray(start - first * 4, end - first * 4);
    },
  });
}

/** A graph the app built (zoo models, profiling probes), as an ONNX model at the app's opset. */
export function builtModel(
  name: string,
  graph: Required<Pick<GraphProto, 'node' | 'initializer' | 'input' | 'output'>>,
): OnnxModel {
  return {
    name,
    proto: {
      irVersion: IR_VERSION,
      producerName: 'musical-chair-lab',
      producerVersion: APP_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name, ...graph },
    },
  };
}

/** Accumulates layers with seeded weights and tracks the running shape. */
class ZooBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** [C, H, W] of the current activation, or [features] after flattening. */
  shape: number[] = [3, 224, 224];
  current = 'image';

  constructor(private readonly seed: number) {
    const pre = inputPrefix('input', this.current, TORCH_INPUT);
    this.nodes.push(...pre.nodes);
    this.initializers.push(...pre.initializers);
  }

  private weight(name: string, dims: number[], fanIn: number): string {
    // He (Kaiming) uniform: variance 2 / fan_in, so ReLU stacks keep their scale.
    const limit = Math.sqrt(6 / fanIn);
    const seed = this.seed;
    this.initializers.push(
      generatedTensor(name, dims, (from, to) => seededUniform(to - from, limit, seed, name, from)),
    );
    return name;
  }
  private bias(name: string, count: number): string {
    // Small non-zero biases, so a split that dropped or misplaced one would show.
    const seed = this.seed;
    this.initializers.push(
      generatedTensor(name, [count], (from, to) =>
        seededUniform(to - from, 0.05, seed, name, from),
      ),
    );
    return name;
  }

  conv(
    name: string,
    out: number,
    k: number,
    opts: { stride?: number; pads?: number[]; relu?: boolean } = {},
  ): this {
    const [cin, h, w] = this.shape as [number, number, number];
    const stride = opts.stride ?? 1;
    const p = Math.floor((k - 1) / 2);
    const pads = opts.pads ?? [p, p, k - 1 - p, k - 1 - p];
    const wName = this.weight(`${name}.weight`, [out, cin, k, k], cin * k * k);
    const bName = this.bias(`${name}.bias`, out);
    const relu = opts.relu ?? true;
    const convOut = relu ? `${name}.conv` : name;
    this.nodes.push({
      name,
      opType: 'Conv',
      input: [this.current, wName, bName],
      output: [convOut],
      attribute: [
        attrInts('kernel_shape', [k, k]),
        attrInts('strides', [stride, stride]),
        attrInts('pads', pads),
      ],
    });
    if (relu)
      this.nodes.push({ name: `${name}.relu`, opType: 'Relu', input: [convOut], output: [name] });
    const oh = Math.floor((h + pads[0]! + pads[2]! - k) / stride) + 1;
    const ow = Math.floor((w + pads[1]! + pads[3]! - k) / stride) + 1;
    this.shape = [out, oh, ow];
    this.current = name;
    return this;
  }

  maxPool(name: string, k: number, stride: number): this {
    const [c, h, w] = this.shape as [number, number, number];
    this.nodes.push({
      name,
      opType: 'MaxPool',
      input: [this.current],
      output: [name],
      attribute: [attrInts('kernel_shape', [k, k]), attrInts('strides', [stride, stride])],
    });
    this.shape = [c, Math.floor((h - k) / stride) + 1, Math.floor((w - k) / stride) + 1];
    this.current = name;
    return this;
  }

  flatten(name = 'flat'): this {
    this.nodes.push({
      name: 'flatten',
      opType: 'Flatten',
      input: [this.current],
      output: [name],
      attribute: [attrInt('axis', 1)],
    });
    this.shape = [this.shape.reduce((a, b) => a * b, 1)];
    this.current = name;
    return this;
  }

  /** A Gemm with PyTorch's [out, in] weight layout (transB=1), optionally followed by ReLU. */
  fc(name: string, out: number, opts: { relu?: boolean; output?: string } = {}): this {
    const [k] = this.shape as [number];
    const wName = this.weight(`${name}.weight`, [out, k], k);
    const bName = this.bias(`${name}.bias`, out);
    const relu = opts.relu ?? true;
    const gemmOut = relu ? `${name}.gemm` : (opts.output ?? name);
    this.nodes.push({
      name,
      opType: 'Gemm',
      input: [this.current, wName, bName],
      output: [gemmOut],
      attribute: [attrInt('transB', 1)],
    });
    if (relu)
      this.nodes.push({
        name: `${name}.relu`,
        opType: 'Relu',
        input: [gemmOut],
        output: [opts.output ?? name],
      });
    this.shape = [out];
    this.current = opts.output ?? name;
    return this;
  }

  softmax(output = 'probs'): this {
    this.nodes.push({
      name: 'softmax',
      opType: 'Softmax',
      input: [this.current],
      output: [output],
      attribute: [attrInt('axis', 1)],
    });
    this.current = output;
    return this;
  }

  finish(name: string): OnnxModel {
    return builtModel(name, {
      node: this.nodes,
      initializer: this.initializers,
      input: [valueInfo('input', 'uint8', [1, 224, 224, 3])],
      output: [valueInfo(this.current, 'float32', [1, this.shape[0]!])],
    });
  }
}

const BUILDERS: Readonly<Record<ZooName, (b: ZooBuilder) => ZooBuilder>> = {
  'tiny-cnn': (b) =>
    b
      .conv('conv1', 16, 3, { stride: 2 })
      .maxPool('pool1', 2, 2)
      .conv('conv2', 32, 3)
      .maxPool('pool2', 2, 2)
      .conv('conv3', 32, 3, { stride: 2 })
      .maxPool('pool3', 2, 2)
      .flatten()
      .fc('fc1', 128)
      .fc('fc2', 1000, { relu: false, output: 'logits' })
      .softmax(),
  // Keras 'same' padding: for stride 4 and an 11x11 kernel on 224, 3 before and 4 after.
  'alexnet-mc': (b) =>
    b
      .conv('conv1', 48, 11, { stride: 4, pads: [3, 3, 4, 4] })
      .maxPool('pool1', 2, 2)
      .conv('conv2', 128, 5)
      .maxPool('pool2', 2, 2)
      .conv('conv3', 192, 3)
      .conv('conv4', 192, 3)
      .conv('conv5', 128, 3)
      .maxPool('pool3', 2, 2)
      .flatten()
      .fc('fc1', 4096)
      .fc('fc2', 4096)
      .fc('fc3', 1000, { relu: false, output: 'logits' })
      .softmax(),
  alexnet: (b) =>
    b
      .conv('conv1', 64, 11, { stride: 4, pads: [2, 2, 2, 2] })
      .maxPool('pool1', 3, 2)
      .conv('conv2', 192, 5)
      .maxPool('pool2', 3, 2)
      .conv('conv3', 384, 3)
      .conv('conv4', 256, 3)
      .conv('conv5', 256, 3)
      .maxPool('pool5', 3, 2)
      .flatten()
      .fc('fc1', 4096)
      .fc('fc2', 4096)
      .fc('fc3', 1000, { relu: false, output: 'logits' })
      .softmax(),
  vgg16: (b) => {
    const blocks: Array<[number, number]> = [
      [64, 2],
      [128, 2],
      [256, 3],
      [512, 3],
      [512, 3],
    ];
    blocks.forEach(([channels, convs], i) => {
      for (let j = 1; j <= convs; j++) b.conv(`block${i + 1}_conv${j}`, channels, 3);
      b.maxPool(`block${i + 1}_pool`, 2, 2);
    });
    return b
      .flatten()
      .fc('fc1', 4096)
      .fc('fc2', 4096)
      .fc('fc3', 1000, { relu: false, output: 'logits' })
      .softmax();
  },
};

/**
 * Builds a zoo model's graph; its weights are made when they are read (VGG16's take ~0.5 s and
 * 528 MB each time), so costing and planning never make them.
 */
export function buildZooModel(name: ZooName, opts: { seed?: number } = {}): OnnxModel {
  return BUILDERS[name](new ZooBuilder(opts.seed ?? 0)).finish(name);
}

export function isZooName(s: string): s is ZooName {
  return (ZOO_NAMES as readonly string[]).includes(s);
}
