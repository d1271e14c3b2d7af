// Cuts and splits: which tensors separate a graph, what a split part holds, the manifest, and the
// errors that list the valid choices.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Manifest } from '../../../src-main/contract/manifest';
import {
  analyseModel,
  buildPartition,
  buildZooModel,
  listCuts,
  loadModel,
  partitionModel,
  PartitionError,
  splitSizes,
} from '../../../src-main/model/index';
import { encodeModel, sha256Hex, tensorBytes, tensorDims } from '../../../src-main/model/onnx';
import { specFromPlan } from '../../../src-main/model/source';
import { caffe2Alexnet, resnetCnn, tf2onnxCnn } from './exporters';

const dir = mkdtempSync(join(tmpdir(), 'mchair-partition-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = buildZooModel('tiny-cnn');

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PartitionError);
    return (err as Error).message;
  }
  throw new Error('expected a PartitionError');
}

describe('cuts', () => {
  it('lists the tensors that separate the graph, in graph order', () => {
    expect(listCuts(tiny)).toEqual([
      'preprocess.float',
      'preprocess.centered',
      'preprocess.normalised',
      'image',
      'conv1.conv',
      'conv1',
      'pool1',
      'conv2.conv',
      'conv2',
      'pool2',
      'conv3.conv',
      'conv3',
      'pool3',
      'flat',
      'fc1.gemm',
      'fc1',
      'logits',
    ]);
  });

  it('leaves out tensors inside a residual block', () => {
    const cuts = listCuts(resnetCnn());
    expect(cuts).toContain('stem.relu');
    expect(cuts).toContain('layer1.out');
    expect(cuts).toContain('layer2.out');
    for (const inside of [
      'layer1.conv1.relu',
      'layer1.conv2.bn',
      'layer2.conv1.relu',
      'layer2.down.bn',
      'layer2.conv2.out',
    ]) {
      expect(cuts).not.toContain(inside);
    }
    const why = refusal(() => buildPartition(resnetCnn(), { cuts: ['layer1.conv1.relu'] }));
    expect(why).toMatch(
      /^cannot cut at "layer1.conv1.relu": layer "layer1.add" after it also reads "stem.relu" from before it/,
    );
    expect(why).toMatch(/Valid cuts: .*stem\.relu, layer1\.add, layer1\.out/);
  });

  it('refuses unknown, repeated, out-of-order and boundary cuts, listing the valid ones', () => {
    expect(refusal(() => buildPartition(tiny, { cuts: ['nope'] }))).toMatch(
      /^cannot cut at "nope": no layer produces it\. Valid cuts: preprocess\.float, .*, logits$/,
    );
    expect(refusal(() => buildPartition(tiny, { cuts: ['fc1.weight'] }))).toMatch(
      /it is a constant/,
    );
    expect(refusal(() => buildPartition(tiny, { cuts: ['probs'] }))).toMatch(
      /it is the model output/,
    );
    expect(refusal(() => buildPartition(tiny, { cuts: ['input'] }))).toMatch(
      /it is the model input/,
    );
    expect(refusal(() => buildPartition(tiny, { cuts: ['flat', 'flat'] }))).toMatch(/given twice/);
    expect(refusal(() => buildPartition(tiny, { cuts: ['fc1', 'flat'] }))).toMatch(
      /cut "flat" comes before cut "fc1"; list cuts in graph order/,
    );
  });

  it('puts each layer in the stage between its cuts', () => {
    const p = buildPartition(tiny, { cuts: ['pool1', 'flat'] });
    expect(p.stages.map((s) => [s.input, s.output, s.layers.length])).toEqual([
      ['input', 'pool1', 7],
      ['pool1', 'flat', 7],
      ['flat', 'probs', 4],
    ]);
    const total = p.stages.reduce((n, s) => n + s.layers.length, 0);
    expect(total).toBe(analyseModel(tiny).layers.length);
  });
});

describe('splits', () => {
  it('divides channels as evenly as they go', () => {
    expect(splitSizes(4096, 3)).toEqual([1366, 1365, 1365]);
    expect(splitSizes(4096, 2)).toEqual([2048, 2048]);
    expect(splitSizes(5, 5)).toEqual([1, 1, 1, 1, 1]);
  });

  it('slices fc_1 rows as views of the model weights (no copy), read only when written', () => {
    const bytes = encodeModel(buildZooModel('alexnet-mc'));
    const m = loadModel(bytes);
    const p = buildPartition(m, { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 3 }] });
    const original = m.proto.graph!.initializer!.find((t) => t.name === 'fc1.weight')!;
    const parts = p.stages[1]!.parts;
    expect(parts.map((x) => x.outputs[0])).toEqual(['fc1.p0', 'fc1.p1', 'fc1.p2']);
    const weights = parts.map((x) =>
      x.proto.graph!.initializer!.find((t) => t.name === 'fc1.weight.p' + x.file[4])!,
    );
    expect(weights.map((w) => tensorDims(w))).toEqual([
      [1366, 6272],
      [1365, 6272],
      [1365, 6272],
    ]);
    // Nothing is read until a part is written; then each slice is its rows of the file's bytes.
    expect(weights.every((w) => !w.rawData?.byteLength && w.source)).toBe(true);
    for (const w of weights) expect(tensorBytes(w).buffer).toBe(bytes.buffer);
    expect(tensorBytes(weights[1]!).byteOffset).toBe(
      tensorBytes(original).byteOffset + 1366 * 6272 * 4,
    );
    expect(p.stages[1]!.concat).toEqual({ output: 'fc1', axis: 1 });
  });

  it('refuses stages that cannot be split, saying why and which can', () => {
    expect(
      refusal(() => buildPartition(tiny, { cuts: ['flat'], splits: [{ stage: 1, parts: 2 }] })),
    ).toMatch(
      /^cannot split stage 1 \(flat -> probs\): it has 2 channel-mixing layers \(fc1, fc2\); a split stage must hold exactly one; no stage can be split/,
    );
    expect(
      refusal(() =>
        buildPartition(tiny, { cuts: ['flat', 'fc1'], splits: [{ stage: 2, parts: 2 }] }),
      ),
    ).toMatch(
      /layer "softmax" \(Softmax\) after "fc2" mixes channels.*stages that can be split with these cuts: 1$/,
    );
    expect(
      refusal(() =>
        buildPartition(resnetCnn(), {
          cuts: ['stem.relu', 'layer1.out'],
          splits: [{ stage: 1, parts: 2 }],
        }),
      ),
    ).toMatch(/it has 2 channel-mixing layers/);
    const bvlc = caffe2Alexnet();
    expect(
      refusal(() =>
        buildPartition(bvlc, { cuts: ['pool1_1', 'norm2_1'], splits: [{ stage: 1, parts: 2 }] }),
      ),
    ).toMatch(/layer "LRN_\d+" \(LRN\) after "Conv_\d+" mixes channels/);
    expect(
      refusal(() =>
        buildPartition(tiny, { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 200 }] }),
      ),
    ).toMatch(/"fc1" has only 128 output channels/);
    expect(
      refusal(() =>
        buildPartition(tiny, { cuts: ['flat', 'fc1'], splits: [{ stage: 7, parts: 2 }] }),
      ),
    ).toMatch(/there is no stage 7 \(stages 0\.\.2\)/);
  });

  it('splits a grouped conv into uneven parts that follow its groups', () => {
    const bvlc = caffe2Alexnet();
    // conv2: 64 output channels in 2 groups; 3 parts of 22, 21, 21 cross the group boundary.
    const p = buildPartition(bvlc, {
      cuts: ['pool1_1', 'conv2_2'],
      splits: [{ stage: 1, parts: 3 }],
    });
    const ops = p.stages[1]!.parts.map((x) => x.proto.graph!.node!.map((n) => n.opType).join(' '));
    expect(ops).toEqual([
      'Slice Conv Relu',
      'Slice Conv Slice Conv Concat Relu',
      'Slice Conv Relu',
    ]);
    const aligned = buildPartition(bvlc, {
      cuts: ['pool1_1', 'conv2_2'],
      splits: [{ stage: 1, parts: 2 }],
    });
    expect(
      aligned.stages[1]!.parts.map((x) => x.proto.graph!.node!.map((n) => n.opType).join(' ')),
    ).toEqual(['Slice Conv Relu', 'Slice Conv Relu']);
  });

  it('slices the bias of a tf2onnx MatMul + Add and the parameters of a BatchNormalization', () => {
    const tf = buildPartition(tf2onnxCnn(), {
      cuts: ['sequential/flatten/Reshape:0', 'sequential/dense/Relu:0'],
      splits: [{ stage: 1, parts: 3 }],
    });
    const inits = tf.stages[1]!.parts.map((x) =>
      Object.fromEntries(x.proto.graph!.initializer!.map((t) => [t.name, tensorDims(t)])),
    );
    expect(inits[0]).toEqual({
      'sequential/dense/MatMul/ReadVariableOp:0.p0': [2048, 16],
      'sequential/dense/BiasAdd/ReadVariableOp:0.p0': [16],
    });
    const rn = buildPartition(resnetCnn(), {
      cuts: ['stem.relu'],
      splits: [{ stage: 0, parts: 3 }],
    });
    const bn = rn.stages[0]!.parts[2]!.proto.graph!.initializer!.filter((t) =>
      t.name!.startsWith('stem.bn'),
    );
    expect(bn.map((t) => tensorDims(t))).toEqual([[5], [5], [5], [5]]);
  });

  it("takes a planner's explicit channel ranges and checks them", () => {
    const p = buildPartition(tiny, {
      cuts: ['flat', 'fc1'],
      splits: [
        {
          stage: 1,
          parts: 2,
          channels: [
            [0, 100],
            [100, 128],
          ],
        },
      ],
    });
    expect(
      p.stages[1]!.parts.map((x) =>
        x.proto.graph!.output![0]!.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue)),
      ),
    ).toEqual([
      [1, 100],
      [1, 28],
    ]);
    expect(
      refusal(() =>
        buildPartition(tiny, {
          cuts: ['flat', 'fc1'],
          splits: [
            {
              stage: 1,
              parts: 2,
              channels: [
                [0, 100],
                [101, 128],
              ],
            },
          ],
        }),
      ),
    ).toMatch(/without gaps/);
    expect(
      refusal(() =>
        buildPartition(tiny, {
          cuts: ['flat', 'fc1'],
          splits: [
            {
              stage: 1,
              parts: 2,
              channels: [
                [0, 100],
                [100, 120],
              ],
            },
          ],
        }),
      ),
    ).toMatch(/end at 120, the layer has 128/);
  });
});

describe('partition files', () => {
  it('writes manifest.json in the public format and one standalone ONNX per part', async () => {
    const out = join(dir, 'tiny');
    const manifest = await partitionModel(
      tiny,
      { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 2 }] },
      out,
    );
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(Manifest.parse(onDisk)).toEqual(manifest);
    expect(onDisk).toMatchObject({
      model: 'tiny-cnn',
      input: { name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3] },
      output: 'probs',
      stages: [
        { id: 's0', parts: [{ file: 's0.p0.onnx', inputs: ['input'], outputs: ['flat'] }] },
        {
          id: 's1',
          parts: [
            { file: 's1.p0.onnx', inputs: ['flat'], outputs: ['fc1.p0'] },
            { file: 's1.p1.onnx', inputs: ['flat'], outputs: ['fc1.p1'] },
          ],
          concat: { output: 'fc1', axis: 1 },
        },
        { id: 's2', parts: [{ file: 's2.p0.onnx', inputs: ['fc1'], outputs: ['probs'] }] },
      ],
    });
    for (const s of manifest.stages) {
      for (const part of s.parts) {
        const bytes = readFileSync(join(out, part.file));
        expect(sha256Hex(bytes)).toBe(part.sha256);
        const a = analyseModel(loadModel(bytes, { name: part.file }));
        expect([a.input.name, a.output.name]).toEqual([part.inputs[0], part.outputs[0]]);
      }
    }
    expect(analyseModel(loadModel(join(out, 's1.p1.onnx'))).output.shape).toEqual([1, 64]);
    expect(existsSync(join(out, 's3.p0.onnx'))).toBe(false);
  });

  it('reads cuts and channel ranges from a plan', () => {
    const plan = {
      version: 1,
      model: 'tiny-cnn',
      origin: 'auto',
      objective: 'ips',
      stages: [
        {
          id: 's0',
          firstLayer: 'preprocess.cast',
          lastLayer: 'flatten',
          input: 'input',
          output: 'flat',
          parts: [{ id: 's0.p0', devices: ['pi-1'] }],
        },
        {
          id: 's1',
          firstLayer: 'fc1',
          lastLayer: 'fc1.relu',
          input: 'flat',
          output: 'fc1',
          parts: [
            { id: 's1.p0', channels: [0, 64], devices: ['pi-2'] },
            { id: 's1.p1', channels: [64, 128], devices: ['pi-3'] },
          ],
        },
        {
          id: 's2',
          firstLayer: 'fc2',
          lastLayer: 'softmax',
          input: 'fc1',
          output: 'probs',
          parts: [{ id: 's2.p0', devices: ['pi-4'] }],
        },
      ],
      devices: [
        {
          device: 'pi-1',
          profile: 'pi3',
          stage: 's0',
          part: 's0.p0',
          memoryBytes: 0,
          memoryBudgetBytes: 1,
          utilisation: 0,
          ips: 0,
          frameSeconds: 0,
        },
      ],
      prediction: {
        ips: 1,
        latencyMs: 1,
        computeBoundIps: 1,
        staticJ: 0,
        dynamicJ: 0,
        media: [],
        bottleneck: { kind: 'device', where: 'pi-1', ips: 1, why: 'test' },
        suggestions: [],
        basis: 'emulated',
      },
    };
    expect(specFromPlan(tiny, plan)).toEqual({
      cuts: ['flat', 'fc1'],
      splits: [
        {
          stage: 1,
          parts: 2,
          channels: [
            [0, 64],
            [64, 128],
          ],
        },
      ],
    });
    const broken = {
      ...plan,
      stages: [plan.stages[0], { ...plan.stages[2], input: 'fc1' }].map((s, i) => ({
        ...s,
        id: `s${i}`,
      })),
    };
    expect(refusal(() => specFromPlan(tiny, broken))).toMatch(
      /plan stage s1 reads "fc1" but the tensor before it is "flat"/,
    );
    expect(refusal(() => specFromPlan(tiny, { version: 2 }))).toMatch(
      /^plan, a plan: "version" is 2; this mchair reads version 1/,
    );
  });
});
