// The small ONNX models `mchair profile` runs on a board, one per layer family the cost model
// prices on its own (dense convolutions by kernel and width, grouped and depthwise convolution,
// fully connected, pooling, elementwise): each is a few layers of that family, sized to take
// tens of milliseconds on a Pi 3, so one board's speed per family is its time on the probe.
// A probe's input is small (a frame crosses a 40 Mbit/s Wi-Fi in a few ms): where the family
// needs a large activation, a broadcasting Add of a constant makes it on the board, and a global
// pool shrinks what goes back. Those helper layers are priced at the board's base profile when
// the probe's time is split (planner/calibrate.ts).
import {
  attrInt,
  attrInts,
  makeTensor,
  type NodeProto,
  type OnnxModel,
  valueInfo,
} from '../model/onnx';
import { seededUniform } from '../model/seeded';
import { builtModel } from '../model/zoo';
import type { ConvSize } from './profile';

/** What a probe measures: a conv size class, or one of the cost model's other classes. */
export type ProbeFamily = ConvSize | 'dwconv' | 'gemm' | 'pool' | 'elementwise';

/** A probe's layers: the family's own and the helpers (expand, shrink) around them. */
class ProbeBuilder {
  readonly nodes: NodeProto[] = [];
  readonly weights: ReturnType<typeof makeTensor>[] = [];
  current = 'input';
  private n = 0;

  constructor(
    readonly family: ProbeFamily,
    public shape: number[],
  ) {}

  private tensor(dims: number[], limit: number): string {
    const name = `w${this.n++}`;
    const v = seededUniform(
      dims.reduce((a, b) => a * b, 1),
      limit,
      7,
      name,
      0,
    );
    this.weights.push(makeTensor(name, 'float32', dims, new Uint8Array(v.buffer)));
    return name;
  }

  private node(opType: string, inputs: string[], attribute: NodeProto['attribute'] = []): this {
    const out = `t${this.n++}`;
    this.nodes.push({
      name: out,
      opType,
      input: [this.current, ...inputs],
      output: [out],
      attribute,
    });
    this.current = out;
    return this;
  }

  /** [1, C, 1, 1] + a constant [1, C, H, W]: the board makes the activation the family needs. */
  expand(h: number, w: number): this {
    const c = this.shape[1]!;
    this.shape = [1, c, h, w];
    return this.node('Add', [this.tensor([1, c, h, w], 1)]);
  }

  conv(out: number, k: number, group = 1): this {
    const [, cin, h, w] = this.shape as [number, number, number, number];
    const p = Math.floor(k / 2);
    this.shape = [1, out, h, w];
    return this.node(
      'Conv',
      [this.tensor([out, cin / group, k, k], Math.sqrt(6 / ((cin / group) * k * k)))],
      [
        attrInts('kernel_shape', [k, k]),
        attrInts('pads', [p, p, p, p]),
        attrInts('strides', [1, 1]),
        ...(group > 1 ? [attrInt('group', group)] : []),
      ],
    );
  }

  fc(out: number): this {
    const k = this.shape[1]!;
    this.shape = [1, out];
    return this.node('Gemm', [this.tensor([out, k], Math.sqrt(6 / k))], [attrInt('transB', 1)]);
  }

  maxPool(): this {
    return this.node(
      'MaxPool',
      [],
      [
        attrInts('kernel_shape', [3, 3]),
        attrInts('pads', [1, 1, 1, 1]),
        attrInts('strides', [1, 1]),
      ],
    );
  }

  relu(): this {
    return this.node('Relu', []);
  }

  shrink(): this {
    this.shape = [1, this.shape[1]!, 1, 1];
    return this.node('GlobalAveragePool', []);
  }

  repeat(times: number, f: (b: this) => this): this {
    for (let i = 0; i < times; i++) f(this);
    return this;
  }

  finish(inputShape: number[]): OnnxModel {
    return builtModel(`probe-${this.family}`, {
      node: this.nodes,
      initializer: this.weights,
      input: [valueInfo('input', 'float32', inputShape)],
      output: [valueInfo(this.current, 'float32', this.shape)],
    });
  }
}

/** Each family's probe: [1, C, 1, 1] in, the family's layers at their size, a small tensor out. */
const PROBES: Readonly<
  Record<ProbeFamily, { input: number[]; build(b: ProbeBuilder): ProbeBuilder }>
> = {
  // ~50 M MACs each: 30-60 ms on a Pi 3, a few ms on a laptop.
  'k1-narrow': {
    input: [1, 64, 1, 1],
    build: (b) =>
      b
        .expand(56, 56)
        .repeat(4, (x) => x.conv(64, 1))
        .shrink(),
  },
  'k1-wide': {
    input: [1, 256, 1, 1],
    build: (b) =>
      b
        .expand(14, 14)
        .repeat(4, (x) => x.conv(256, 1))
        .shrink(),
  },
  'k3-narrow': {
    input: [1, 32, 1, 1],
    build: (b) =>
      b
        .expand(56, 56)
        .repeat(2, (x) => x.conv(32, 3))
        .shrink(),
  },
  'k3-wide': {
    input: [1, 128, 1, 1],
    build: (b) =>
      b
        .expand(14, 14)
        .repeat(2, (x) => x.conv(128, 3))
        .shrink(),
  },
  'k5-narrow': {
    input: [1, 32, 1, 1],
    build: (b) =>
      b
        .expand(28, 28)
        .repeat(2, (x) => x.conv(32, 5))
        .shrink(),
  },
  'k5-wide': {
    input: [1, 96, 1, 1],
    build: (b) =>
      b
        .expand(14, 14)
        .repeat(2, (x) => x.conv(96, 5))
        .shrink(),
  },
  grouped: {
    input: [1, 128, 1, 1],
    build: (b) =>
      b
        .expand(28, 28)
        .repeat(2, (x) => x.conv(128, 3, 4))
        .shrink(),
  },
  dwconv: {
    input: [1, 128, 1, 1],
    build: (b) =>
      b
        .expand(56, 56)
        .repeat(2, (x) => x.conv(128, 3, 128))
        .shrink(),
  },
  // Three 16 MB weight matrices: streaming them is the time, as in a CNN's classifier.
  gemm: { input: [1, 2048], build: (b) => b.repeat(3, (x) => x.fc(2048)) },
  pool: {
    input: [1, 64, 1, 1],
    build: (b) =>
      b
        .expand(112, 112)
        .repeat(4, (x) => x.maxPool())
        .shrink(),
  },
  elementwise: {
    input: [1, 64, 1, 1],
    build: (b) =>
      b
        .expand(112, 112)
        .repeat(4, (x) => x.relu())
        .shrink(),
  },
};

export const PROBE_FAMILIES = Object.keys(PROBES) as ProbeFamily[];

/** The family's probe model (weights made now: the largest probe's are 48 MB). */
export function probeModel(family: ProbeFamily): OnnxModel {
  const p = PROBES[family];
  return p.build(new ProbeBuilder(family, [...p.input])).finish(p.input);
}

/** Bytes the link probe moves each way: 256 KiB, a VGG16 activation's order of size. */
const LINK_VALUES = 65_536;

/**
 * A tensor in, the same back: two Relus, so the tensor can also cross from one board to another
 * between them (a two-stage plan) and that link be timed.
 */
export function linkProbe(): OnnxModel {
  const b = new ProbeBuilder('elementwise', [1, LINK_VALUES]).relu().relu();
  return { ...b.finish([1, LINK_VALUES]), name: 'probe-link' };
}
