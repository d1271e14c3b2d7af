// Layer lists built from an architecture's numbers, for planner tests that enumerate every plan
// of a small CNN and must not depend on the ONNX toolkit. Figures follow
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
    layers.push({
      ...l,
      inputs: [prev, `${l.name}.weight`],
      outputs: [out],
      activationBytes: numel * 4,
    });
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
      push({
        name: s.name,
        op: 'Conv',
        outputShape: outShape,
        macs: s.out * oh * ow * c * s.k * s.k,
        params,
        paramBytes: params * 4,
      });
      push({
        name: `${s.name}_relu`,
        op: 'Relu',
        outputShape: outShape,
        macs: 0,
        params: 0,
        paramBytes: 0,
      });
    } else if (s.kind === 'pool') {
      const [, c, h, w] = shape as [number, number, number, number];
      push({
        name: s.name,
        op: 'MaxPool',
        outputShape: [1, c, Math.floor(h / 2), Math.floor(w / 2)],
        macs: 0,
        params: 0,
        paramBytes: 0,
      });
    } else if (s.kind === 'flatten') {
      const n = shape.reduce((a, b) => a * b, 1);
      push({
        name: 'flatten',
        op: 'Flatten',
        outputShape: [1, n],
        macs: 0,
        params: 0,
        paramBytes: 0,
      });
    } else {
      const inF = shape[1]!;
      const params = inF * s.out + s.out;
      push({
        name: s.name,
        op: 'Gemm',
        outputShape: [1, s.out],
        macs: inF * s.out,
        params,
        paramBytes: params * 4,
      });
      push({
        name: `${s.name}_${s.act.toLowerCase()}`,
        op: s.act,
        outputShape: [1, s.out],
        macs: 0,
        params: 0,
        paramBytes: 0,
      });
    }
  }
  return { name, inputName: 'input', inputBytes: hw * hw * 3, layers };
}

const conv = (name: string, out: number, k = 3, stride = 1): Spec => ({
  kind: 'conv',
  name,
  out,
  k,
  stride,
});
const pool = (name: string): Spec => ({ kind: 'pool', name });

/** A small CNN whose every plan on a few devices can be enumerated: 10 cuts, 3 splittable layers. */
export function smallCnn(hw = 64): PlannerModel {
  return chainModel(
    'small-cnn',
    [
      conv('c1', 16, 5, 2),
      pool('p1'),
      conv('c2', 32),
      { kind: 'flatten' },
      { kind: 'fc', name: 'f1', out: 256, act: 'Relu' },
      { kind: 'fc', name: 'f2', out: 10, act: 'Softmax' },
    ],
    hw,
  );
}

/**
 * VGG16's shape in small: a conv stack that dominates the time, an fc layer (16.8 MB) too big to
 * load whole on a 20 MB board, and a small fc tail. One role per board wastes a board on the tail.
 */
export function miniVgg(): PlannerModel {
  return chainModel(
    'mini-vgg',
    [
      conv('c1', 32),
      pool('p1'),
      conv('c2', 64),
      pool('p2'),
      conv('c3', 64),
      pool('p3'),
      { kind: 'flatten' },
      { kind: 'fc', name: 'f1', out: 256, act: 'Relu' },
      { kind: 'fc', name: 'f2', out: 256, act: 'Relu' },
      { kind: 'fc', name: 'f3', out: 10, act: 'Softmax' },
    ],
    128,
  );
}
