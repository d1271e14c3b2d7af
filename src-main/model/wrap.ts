// Wrapping a trained model for the farm. Frames cross the wire as uint8 NHWC RGB (one byte a
// pixel, resized and cropped on the laptop); the wrapped model's first nodes turn such a frame
// into what the model's card says its input is (cast, scale, mean and std, channel order, layout,
// float16), and its last ones flatten the output to [1, classes] float32 probabilities (a Softmax
// after a model that gives logits). A card that contradicts the graph is refused before anything
// is written, naming both.
import type { ModelCard, ModelInputContract } from '../contract/modelCard';
import { ModelCardError } from './errors';
import { analyseModel, type GraphAnalysis } from './graph';
import {
  attrInt,
  attrInts,
  dtypeCode,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
  valueInfo,
  valuesTensor,
} from './onnx';

/** Names of the wrapped model's frame input and of its probabilities (when the graph has neither). */
const FRAME_TENSOR = 'input';
const PROBS_TENSOR = 'probs';

const describe = (c: ModelInputContract): string =>
  `${c.dtype} ${c.layout.toUpperCase()} input [1,${c.layout === 'nchw' ? '3,H,W' : 'H,W,3'}]`;

/** The input's spatial size [H, W], checked against the card. */
function checkInput(a: GraphAnalysis, c: ModelInputContract): [number, number] {
  const { name, dtype, shape } = a.input;
  const graph = `the graph's input "${name}" is ${dtype} [${shape.join(',')}]`;
  const channels = c.layout === 'nchw' ? shape[1] : shape[3];
  if (dtype !== c.dtype || shape.length !== 4 || channels !== 3 || shape[0] !== 1)
    throw new ModelCardError(`the card says ${describe(c)} but ${graph}`);
  const [h, w] = c.layout === 'nchw' ? [shape[2]!, shape[3]!] : [shape[1]!, shape[2]!];
  const [rw, rh] = c.resize;
  if (c.crop === 'none' ? rw !== w || rh !== h : rw < w || rh < h)
    throw new ModelCardError(
      `the card resizes to ${rw}x${rh} ${c.crop === 'none' ? 'without a crop' : 'then crops'} but ${graph} (${w}x${h})`,
    );
  if (
    c.dtype === 'uint8' &&
    (c.range !== '0-255' || c.mean.some((m) => m) || c.std.some((s) => s !== 1))
  )
    throw new ModelCardError(
      `the card gives a uint8 input a range of ${c.range}, mean ${c.mean.join(',')} and std ${c.std.join(',')}; a uint8 input takes pixels as they are (0-255, mean 0, std 1)`,
    );
  return [h, w];
}

/** The card's label count against the graph's output. */
function checkOutput(a: GraphAnalysis, card: ModelCard): number {
  const { name, shape } = a.output;
  const classes = shape.slice(1).reduce((x, y) => x * y, 1);
  const labels = card.labels === 'imagenet' ? 1000 : card.labels.length;
  if (shape[0] !== 1 || classes !== labels)
    throw new ModelCardError(
      `the card has ${labels} labels but the graph's output "${name}" is [${shape.join(',')}] (${classes} classes)`,
    );
  return classes;
}

interface Nodes {
  nodes: NodeProto[];
  initializers: TensorProto[];
}

/**
 * The nodes from a uint8 NHWC RGB frame named `frame` to the tensor `into` the model reads, as
 * the contract describes it; each step is left out where it would change nothing.
 */
export function inputPrefix(frame: string, into: string, c: ModelInputContract): Nodes {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let at = frame;
  // Node and tensor names as the zoo's models have always had them, so their parts keep their bytes.
  const step = (
    op: string,
    [name, output]: [string, string],
    inputs: string[],
    attribute: NodeProto['attribute'] = [],
  ) => {
    nodes.push({
      name: `preprocess.${name}`,
      opType: op,
      input: [at, ...inputs],
      output: [`preprocess.${output}`],
      attribute,
    });
    at = `preprocess.${output}`;
  };
  if (c.dtype !== 'uint8') {
    // In 0-255 units: (p/255 - mean)/std = (p - 255 mean)/(255 std).
    const scale = c.range === '0-1' ? 255 : 1;
    step('Cast', ['cast', 'float'], [], [attrInt('to', dtypeCode('float32'))]);
    if (c.mean.some((m) => m !== 0)) {
      initializers.push(
        valuesTensor(
          'preprocess.mean',
          'float32',
          [3],
          c.mean.map((m) => m * scale),
        ),
      );
      step('Sub', ['sub', 'centered'], ['preprocess.mean']);
    }
    if (c.std.some((s) => s * scale !== 1)) {
      initializers.push(
        valuesTensor(
          'preprocess.std',
          'float32',
          [3],
          c.std.map((s) => s * scale),
        ),
      );
      step('Div', ['div', 'normalised'], ['preprocess.std']);
    }
  }
  if (c.channels === 'bgr') {
    initializers.push(valuesTensor('preprocess.bgr_order', 'int64', [3], [2, 1, 0]));
    step('Gather', ['bgr', 'bgr'], ['preprocess.bgr_order'], [attrInt('axis', 3)]);
  }
  if (c.layout === 'nchw')
    step('Transpose', ['nchw', 'nchw'], [], [attrInts('perm', [0, 3, 1, 2])]);
  if (c.dtype === 'float16')
    step('Cast', ['half', 'half'], [], [attrInt('to', dtypeCode('float16'))]);
  // The last step writes the model's input; with no step at all, an Identity does.
  if (nodes.length === 0) step('Identity', ['frame', 'frame'], []);
  const last = nodes[nodes.length - 1]!;
  last.output = [into];
  return { nodes, initializers };
}

/** The nodes from the model's output to [1, classes] float32 probabilities named `probs`. */
function outputSuffix(a: GraphAnalysis, card: ModelCard, probs: string): Nodes {
  const nodes: NodeProto[] = [];
  let at = a.output.name;
  const step = (op: string, name: string, attribute: NodeProto['attribute'] = []) => {
    const output = `postprocess.${name}`;
    nodes.push({
      name: `postprocess.${name}`,
      opType: op,
      input: [at],
      output: [output],
      attribute,
    });
    at = output;
  };
  if (a.output.shape.length !== 2) step('Flatten', 'flat', [attrInt('axis', 1)]);
  if (a.output.dtype !== 'float32') step('Cast', 'float', [attrInt('to', dtypeCode('float32'))]);
  if (card.output === 'logits') step('Softmax', 'softmax', [attrInt('axis', 1)]);
  if (nodes.length === 0) step('Identity', 'probs');
  nodes[nodes.length - 1]!.output = [probs];
  return { nodes, initializers: [] };
}

/** Throws ModelCardError when the card and the graph disagree. */
export function checkCard(model: OnnxModel, card: ModelCard): void {
  const a = analyseModel(model);
  checkInput(a, card.input);
  checkOutput(a, card);
}

/**
 * The model as the farm runs it: uint8 NHWC RGB frames in, [1, classes] float32 probabilities out.
 * Throws ModelCardError when the card and the graph disagree.
 */
export function wrapModel(model: OnnxModel, card: ModelCard, name = model.name): OnnxModel {
  const a = analyseModel(model);
  const [h, w] = checkInput(a, card.input);
  const classes = checkOutput(a, card);
  const graph = model.proto.graph!;
  const taken = new Set([...a.tensors.keys(), ...(graph.node ?? []).map((n) => n.name ?? '')]);
  const free = (base: string): string => {
    let n = base;
    for (let i = 1; taken.has(n); i++) n = `${base}_${i}`;
    return n;
  };
  const frame = free(FRAME_TENSOR);
  const probs = free(PROBS_TENSOR);
  const pre = inputPrefix(frame, a.input.name, card.input);
  const post = outputSuffix(a, card, probs);
  const clash = [...pre.nodes, ...post.nodes]
    .flatMap((n) => [n.name!, ...(n.output ?? [])])
    .concat([...pre.initializers].map((t) => t.name!))
    .find((n) => taken.has(n) && n !== a.input.name && n !== a.output.name);
  if (clash)
    throw new ModelCardError(
      `the model already has a tensor or node named "${clash}"; cannot add the farm's pre- and post-processing`,
    );
  const proto = {
    ...model.proto,
    graph: {
      ...graph,
      node: [...pre.nodes, ...(graph.node ?? []), ...post.nodes],
      initializer: [...pre.initializers, ...(graph.initializer ?? [])],
      input: [
        valueInfo(frame, 'uint8', [1, h, w, 3]),
        ...(graph.input ?? []).filter((i) => i.name !== a.input.name),
      ],
      output: [valueInfo(probs, 'float32', [1, classes])],
      valueInfo: (graph.valueInfo ?? []).filter(
        (v) => v.name !== a.input.name && v.name !== a.output.name,
      ),
    },
  };
  const wrapped = { name, proto };
  analyseModel(wrapped);
  return wrapped;
}
