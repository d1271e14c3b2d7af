// The planner's view of a CNN: its layers in graph order with their cost figures, the places it
// can be cut (exactly one tensor crosses) and the layers it can split along output channels.
// Layers are the model toolkit's `inspectModel()` layers; tests also build them from an
// architecture's numbers, so the planner needs no ONNX.
import type { LayerCost } from '../model/index';

export type PlannerLayer = LayerCost;

export interface PlannerModel {
  readonly name: string;
  readonly inputName: string;
  /** Bytes of one frame as the coordinator sends it (uint8 HWC for the zoo models). */
  readonly inputBytes: number;
  readonly layers: readonly PlannerLayer[];
}

/**
 * How a layer's time is costed: each class has its own speeds in a device profile. Depthwise
 * convolutions are a class of their own: a few MACs per value read, so a board does them many
 * times slower per MAC than dense ones. Quantized operators take their float operator's class.
 */
export type OpClass = 'conv' | 'dwconv' | 'gemm' | 'pool' | 'elementwise' | 'free';

const CLASS_OF: Record<string, OpClass> = {
  Conv: 'conv',
  ConvTranspose: 'conv',
  QLinearConv: 'conv',
  ConvInteger: 'conv',
  Gemm: 'gemm',
  MatMul: 'gemm',
  QLinearMatMul: 'gemm',
  MatMulInteger: 'gemm',
  QGemm: 'gemm',
  MaxPool: 'pool',
  AveragePool: 'pool',
  GlobalAveragePool: 'pool',
  GlobalMaxPool: 'pool',
  QLinearAveragePool: 'pool',
  QLinearGlobalAveragePool: 'pool',
  LRN: 'pool',
  // Shape-only operators move no data in onnxruntime (they alias their input).
  Flatten: 'free',
  Reshape: 'free',
  Identity: 'free',
  Dropout: 'free',
  Squeeze: 'free',
  Unsqueeze: 'free',
};

const CONVS = new Set(['Conv', 'QLinearConv', 'ConvInteger']);

export function opClass(layer: Pick<PlannerLayer, 'op' | 'group' | 'outputShape'>): OpClass {
  // Depthwise: one input channel per group (the channel count is the output's when it is 1:1).
  if (CONVS.has(layer.op) && layer.group !== undefined && layer.group > 1) {
    if (layer.group === layer.outputShape[1]) return 'dwconv';
  }
  return CLASS_OF[layer.op] ?? 'elementwise';
}

/** Operators whose weights can be sliced along output channels into standalone parts. */
const SPLITTABLE = new Set(['Conv', 'Gemm', 'MatMul', 'QLinearConv', 'QLinearMatMul']);
/**
 * Operators that treat each channel on its own, so they can follow a split layer inside each
 * part and the parts' outputs still concatenate to the whole output.
 */
const CHANNELWISE = new Set([
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'BatchNormalization',
  'MaxPool',
  'AveragePool',
  'Dropout',
  'Identity',
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearAveragePool',
]);

/** A layer range [from, to) that can be a stage; `splittable` when it may be split. */
export interface Chain {
  readonly model: PlannerModel;
  /** cuts[k] is true when exactly one tensor crosses between layers k-1 and k (0 and n always). */
  readonly cuts: readonly boolean[];
  /** Bytes crossing cut k: the input at 0, the output at n. */
  readonly cutBytes: readonly number[];
  /** The tensor crossing each valid cut (empty string where the cut is not valid). */
  readonly cutTensor: readonly string[];
  /** Bytes each layer reads from other layers (or the frame). */
  readonly inputBytes: readonly number[];
  /** For a layer that can be split: the furthest end of the channel-wise run that follows it. */
  readonly splitEnd: ReadonlyMap<number, number>;
  /** Output channels of each splittable layer. */
  readonly channels: ReadonlyMap<number, number>;
  /** Indices of the valid cuts, ascending, including 0 and n. */
  readonly cutIndices: readonly number[];
}

/** Analyses a model once; every plan evaluation and search step reads the result. */
export function analyseChain(model: PlannerModel): Chain {
  const layers = model.layers;
  const n = layers.length;
  const producer = new Map<string, number>();
  const bytesOf = new Map<string, number>([[model.inputName, model.inputBytes]]);
  producer.set(model.inputName, -1);
  layers.forEach((l, i) => {
    for (const t of l.outputs) {
      producer.set(t, i);
      // A multi-output layer's bytes are shared evenly: the zoo's CNNs have one output each.
      bytesOf.set(t, l.activationBytes / Math.max(1, l.outputs.length));
    }
  });
  // lastUse[t]: the last layer that reads tensor t; tensors nobody produced are weights.
  const lastUse = new Map<string, number>();
  const inputBytes = layers.map((l, i) => {
    let b = 0;
    for (const t of l.inputs) {
      if (!producer.has(t)) continue;
      lastUse.set(t, i);
      b += bytesOf.get(t) ?? 0;
    }
    return b;
  });
  const cuts: boolean[] = new Array<boolean>(n + 1).fill(false);
  const cutBytes: number[] = new Array<number>(n + 1).fill(0);
  const cutTensor: string[] = new Array<string>(n + 1).fill('');
  cuts[0] = true;
  cutBytes[0] = model.inputBytes;
  cutTensor[0] = model.inputName;
  cuts[n] = true;
  cutBytes[n] = n > 0 ? layers[n - 1]!.activationBytes : model.inputBytes;
  cutTensor[n] = n > 0 ? (layers[n - 1]!.outputs[0] ?? '') : model.inputName;
  for (let k = 1; k < n; k++) {
    const crossing: string[] = [];
    let bytes = 0;
    for (const [t, p] of producer) {
      const last = lastUse.get(t);
      if (p < k && last !== undefined && last >= k) {
        crossing.push(t);
        bytes += bytesOf.get(t) ?? 0;
      }
    }
    cuts[k] = crossing.length === 1;
    cutBytes[k] = bytes;
    if (cuts[k]) cutTensor[k] = crossing[0]!;
  }
  const splitEnd = new Map<number, number>();
  const channels = new Map<number, number>();
  layers.forEach((l, i) => {
    const c = l.outputShape[1];
    if (!SPLITTABLE.has(l.op) || c === undefined || c < 2) return;
    let end = i + 1;
    while (end < n && CHANNELWISE.has(layers[end]!.op)) end++;
    // Only whole-stage runs: the split must end where the model can be cut.
    while (end > i + 1 && !cuts[end]) end--;
    if (!cuts[i] || !cuts[end]) return;
    splitEnd.set(i, end);
    channels.set(i, c);
  });
  const cutIndices: number[] = [];
  cuts.forEach((ok, k) => ok && cutIndices.push(k));
  return { model, cuts, cutBytes, cutTensor, inputBytes, splitEnd, channels, cutIndices };
}

/**
 * The cuts the search tries: the valid ones between layer blocks, not right before an
 * activation, pooling or reshaping layer, where a cut a layer later moves the same or fewer
 * bytes for nearly the same work on each side (and the search space is four times smaller).
 */
export function coarseCuts(chain: Chain): number[] {
  const layers = chain.model.layers;
  return chain.cutIndices.filter(
    (k) =>
      k === 0 ||
      k === layers.length ||
      !(CHANNELWISE.has(layers[k]!.op) || opClass(layers[k]!) === 'free'),
  );
}

/**
 * The cuts the grouped search's programme tries: coarseCuts, on a long chain thinned to `most` by
 * dropping the inner cuts that move the most bytes (inside a block, after its expansion), where a
 * stage boundary costs the most air anyway. A solve's work grows with the square of the cuts
 * (mobilenetv2's 35 took 0.4 s of CPU each on 100 boards); the local search (improve.ts) places
 * the cuts finely afterwards, over all of coarseCuts.
 */
export function groupedCuts(chain: Chain, most: number): number[] {
  const cuts = coarseCuts(chain);
  const last = cuts.length - 1;
  const byBytes = cuts
    .slice(1, last)
    .sort((a, b) => chain.cutBytes[b]! - chain.cutBytes[a]! || a - b);
  const drop = new Set(byBytes.slice(0, Math.max(0, cuts.length - Math.max(2, most))));
  return cuts.filter((k) => !drop.has(k));
}

/** The stage [from, to) may be split along output channels. */
export function canSplit(chain: Chain, from: number, to: number): boolean {
  const end = chain.splitEnd.get(from);
  return end !== undefined && to <= end && chain.cuts[to] === true;
}
