// Wrapping a trained model for the farm's uint8 NHWC RGB frames, on the real trained float16
// SqueezeNet 1.1 (test/fixtures/squeezenet1.1-fp16, MIT): the wrapped model recognises the kitten
// as the original does, the original still matches its reference output, and a card that
// contradicts the graph is refused naming both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { ModelCard } from '../../../src-main/contract/modelCard';
import { CAFFE_INPUT, TORCH_INPUT } from '../../../src-main/contract/modelCard';
import { catalogueEntry } from '../../../src-main/model/catalogue';
import { loadModel } from '../../../src-main/model/load';
import { halfToFloat } from '../../../src-main/model/float16';
import { encodeModel, sha256Hex } from '../../../src-main/model/onnx';
import { analyseModel, buildZooModel } from '../../../src-main/model/index';
import { wrapModel } from '../../../src-main/model/wrap';
import { AppError } from '../../../src-main/contract/errors';

const FIXTURE = join(__dirname, '../../fixtures/squeezenet1.1-fp16');
const file = join(FIXTURE, 'model.onnx');
const entry = catalogueEntry('squeezenet1.1-fp16')!;

function kittenFrame(): ort.Tensor {
  const png = PNG.sync.read(readFileSync(join(FIXTURE, 'kitten_224.png')));
  const rgb = new Uint8Array(224 * 224 * 3);
  for (let i = 0; i < 224 * 224; i++)
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c]!;
  return new ort.Tensor('uint8', rgb, [1, 224, 224, 3]);
}

function tensorFromPb(name: string): ort.Tensor {
  const t = onnxProto.onnx.TensorProto.decode(readFileSync(join(FIXTURE, 'random-input', name)));
  const dims = t.dims.map(Number);
  const raw = t.rawData;
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  return t.dataType === 10
    ? new ort.Tensor('float16', new Uint16Array(bytes), dims)
    : new ort.Tensor('float32', new Float32Array(bytes), dims);
}

function top(p: Float32Array, k: number): Array<[number, number]> {
  return [...p.keys()]
    .sort((a, b) => p[b]! - p[a]!)
    .slice(0, k)
    .map((i) => [i, p[i]!]);
}

describe('the trained float16 SqueezeNet', () => {
  it('is the catalogue file: its sha256 gives its card', () => {
    expect(sha256Hex(readFileSync(file))).toBe(entry.sha256);
    expect(readFileSync(file).length).toBe(entry.bytes);
  });

  it('matches its reference output on the random input (float16 rounding, 2e-4)', async () => {
    const s = await ort.InferenceSession.create(file);
    const out = await s.run({ data_0: tensorFromPb('input_0.pb') });
    const got = out.softmaxout_1!;
    const want = tensorFromPb('output_0.pb');
    expect(got.type).toBe('float16');
    // Node 20 has no Float16Array: onnxruntime hands float16 back as their bits.
    const g = Array.from(got.data as Uint16Array, halfToFloat);
    const w = want.data as Float32Array;
    expect(g.length).toBe(w.length);
    const worst = Math.max(...g.map((v, i) => Math.abs(v - w[i]!)));
    expect(worst).toBeLessThanOrEqual(2e-4);
    expect(top(Float32Array.from(g), 1)[0]![0]).toBe(111);
    await s.release();
  });

  it('wrapped, takes a uint8 NHWC RGB frame and recognises the kitten: 281 tabby at 0.93', async () => {
    const wrapped = wrapModel(loadModel(file), entry.card);
    const a = analyseModel(wrapped);
    expect(a.input).toMatchObject({ name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3] });
    expect(a.output).toMatchObject({ name: 'probs', dtype: 'float32', shape: [1, 1000] });
    const s = await ort.InferenceSession.create(encodeModel(wrapped));
    const out = await s.run({ input: kittenFrame() });
    const best = top(out.probs!.data as Float32Array, 3);
    expect(best.map(([i]) => i)).toEqual([281, 285, 282]);
    expect(Math.abs(best[0]![1] - 0.93)).toBeLessThanOrEqual(0.01);
    await s.release();
  });
});

describe('a card that contradicts the graph', () => {
  const model = loadModel(file);
  const refused = (card: ModelCard): string => {
    try {
      wrapModel(model, card);
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('MODEL_CARD_MISMATCH');
      return (err as Error).message;
    }
    throw new Error('the card was accepted');
  };

  it('names the dtype it says and the one the graph has', () => {
    expect(refused({ ...entry.card, input: { ...entry.card.input, dtype: 'float32' } })).toBe(
      'the card says float32 NCHW input [1,3,H,W] but the graph\'s input "data_0" is float16 [1,3,224,224]',
    );
  });
  it('names the layout', () => {
    expect(refused({ ...entry.card, input: { ...entry.card.input, layout: 'nhwc' } })).toMatch(
      /card says float16 NHWC input \[1,H,W,3\] but the graph's input "data_0" is float16 \[1,3,224,224\]/,
    );
  });
  it('names a label count the output does not have', () => {
    expect(refused({ ...entry.card, labels: ['cat', 'dog'] })).toMatch(
      /card has 2 labels but the graph's output "softmaxout_1" is \[1,1000,1,1\] \(1000 classes\)/,
    );
  });
  it('names a resize that does not give the input size', () => {
    expect(refused({ ...entry.card, input: { ...entry.card.input, resize: [256, 256] } })).toMatch(
      /resizes to 256x256 without a crop/,
    );
  });
});

describe('the built-in models', () => {
  it('keep the preprocessing they always had (the ImageNet contract, as the zoo builds it)', () => {
    const m = buildZooModel('tiny-cnn');
    const ops = m.proto.graph!.node!.slice(0, 4).map((n) => `${n.opType}:${n.output![0]}`);
    expect(ops).toEqual([
      'Cast:preprocess.float',
      'Sub:preprocess.centered',
      'Div:preprocess.normalised',
      'Transpose:image',
    ]);
  });

  it('a Caffe card reorders channels to BGR and subtracts the mean in 0-255', async () => {
    // A graph that returns its input: the prefix alone, checked value by value.
    const { wrapped, frame } = identityWrapped(CAFFE_INPUT);
    const s = await ort.InferenceSession.create(encodeModel(wrapped));
    const out = (await s.run({ input: frame })).probs!.data as Float32Array;
    // Pixel 0 is (10, 20, 30) RGB: BGR minus the mean, NCHW.
    expect(out[0]).toBeCloseTo(30 - 103.939, 4);
    expect(out[4]).toBeCloseTo(20 - 116.779, 4);
    expect(out[8]).toBeCloseTo(10 - 123.68, 4);
    await s.release();
    expect(TORCH_INPUT.range).toBe('0-1');
  });
});

/** A 2x2 "model" whose output is its input, wrapped by a card with 12 labels. */
function identityWrapped(input: ModelCard['input']) {
  const proto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'identity',
      node: [{ name: 'id', opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [vi('x', [1, 3, 2, 2])],
      output: [vi('y', [1, 3, 2, 2])],
    },
  };
  const card: ModelCard = {
    title: 'identity',
    input: { ...input, resize: [2, 2], crop: 'none' },
    output: 'probs',
    labels: Array.from({ length: 12 }, (_, i) => `c${i}`),
  };
  const wrapped = wrapModel({ name: 'identity', proto }, card);
  const pixels = Uint8Array.from({ length: 12 }, (_, i) => (i + 1) * 10);
  return { wrapped, frame: new ort.Tensor('uint8', pixels, [1, 2, 2, 3]) };
}

function vi(name: string, dims: number[]) {
  return {
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}
