// Layer lists of the paper's CNNs built from their architectures (reference/musical-chair.md),
// for planner tests and benchmarks that must not depend on the ONNX toolkit. Figures follow
// the model toolkit's conventions: float32, NCHW after the first layer casts the uint8 frame,
// MACs of a Conv = out elements x kernel area x input channels, Gemm = in x out.
import type { PlannerLayer, PlannerModel } from '../../../src-main/planner/layers';

type Spec =
  | { kind: 'conv'; name: string; out: number; k: number; stride?: number }
  | { kind: 'pool'; name: string }
  | { kind: 'fc'; name: string; out: number; act: 'Relu' | 'Softmax' }
  | { kind: 'flatten' };

/** Builds a chain: Cast, then the specs; Conv/Gemm are followed by their activation layer. */
export function chainModel(name: string, specs: readonly Spec[], hw = 224): PlannerModel {
  const layers: PlannerLayer[] = [];
  let shape = [1, 3, hw, hw];
  let prev = 'input';
  const push = (l: Omit<PlannerLayer, 'inputs' | 'outputs' | 'activationBytes'>) => {
    const out = `${l.name}:0`;
    const numel = l.outputShape.reduce((a, b) => a * b, 1);
    layers.push({ ...l, inputs: [prev, `${l.name}.weight`], outputs: [out], activationBytes: numel * 4 });
    prev = out;
    shape = [...l.outputShape];
  };
  push({ name: 'cast', op: 'Cast', outputShape: shape, macs: 0, params: 0, paramBytes: 0 });
  for (const s of specs) {
    if (s.kind === 'conv') {
      const stride = s.stride ?? 1;
      const [, c, h, w] = shape as [number, number, number, number];
      const oh = Math.ceil(h / stride);
      const ow = Math.ceil(w / stride);
      const params = s.out * c * s.k * s.k + s.out;
      const outShape = [1, s.out, oh, ow];
      push({ name: s.name, op: 'Conv', outputShape: outShape, macs: s.out * oh * ow * c * s.k * s.k, params, paramBytes: params * 4 });
      push({ name: `${s.name}_relu`, op: 'Relu', outputShape: outShape, macs: 0, params: 0, paramBytes: 0 });
    } else if (s.kind === 'pool') {
      const [, c, h, w] = shape as [number, number, number, number];
      push({ name: s.name, op: 'MaxPool', outputShape: [1, c, Math.floor(h / 2), Math.floor(w / 2)], macs: 0, params: 0, paramBytes: 0 });
    } else if (s.kind === 'flatten') {
      const n = shape.reduce((a, b) => a * b, 1);
      push({ name: 'flatten', op: 'Flatten', outputShape: [1, n], macs: 0, params: 0, paramBytes: 0 });
    } else {
      const inF = shape[1]!;
      const params = inF * s.out + s.out;
      push({ name: s.name, op: 'Gemm', outputShape: [1, s.out], macs: inF * s.out, params, paramBytes: params * 4 });
      push({ name: `${s.name}_${s.act.toLowerCase()}`, op: s.act, outputShape: [1, s.out], macs: 0, params: 0, paramBytes: 0 });
    }
  }
  return { name, inputName: 'input', inputBytes: hw * hw * 3, layers };
}

const conv = (name: string, out: number, k = 3, stride = 1): Spec => ({ kind: 'conv', name, out, k, stride });
const pool = (name: string): Spec => ({ kind: 'pool', name });

/** VGG16 as Keras builds it: 138,357,544 parameters, 15.47 G MACs. */
export function vgg16(): PlannerModel {
  const blocks: Array<[number, number]> = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];
  const specs: Spec[] = [];
  blocks.forEach(([c, n], b) => {
    for (let i = 1; i <= n; i++) specs.push(conv(`block${b + 1}_conv${i}`, c));
    specs.push(pool(`block${b + 1}_pool`));
  });
  specs.push({ kind: 'flatten' }, { kind: 'fc', name: 'fc1', out: 4096, act: 'Relu' }, { kind: 'fc', name: 'fc2', out: 4096, act: 'Relu' }, { kind: 'fc', name: 'predictions', out: 1000, act: 'Softmax' });
  return chainModel('vgg16', specs);
}

/**
 * The Musical Chair AlexNet: 48/128/192/192/128 convs, flatten 6272 (7 x 7 x 128, so three
 * 2x2 pools after the stride-4 first conv), fc 4096, 4096, 1000.
 */
export function alexnetMc(): PlannerModel {
  return chainModel('alexnet-mc', [
    conv('conv1', 48, 11, 4), pool('pool1'),
    conv('conv2', 128, 5), pool('pool2'),
    conv('conv3', 192), pool('pool3'),
    conv('conv4', 192), conv('conv5', 128),
    { kind: 'flatten' },
    { kind: 'fc', name: 'fc_1', out: 4096, act: 'Relu' },
    { kind: 'fc', name: 'fc_2', out: 4096, act: 'Relu' },
    { kind: 'fc', name: 'fc_3', out: 1000, act: 'Softmax' },
  ]);
}
