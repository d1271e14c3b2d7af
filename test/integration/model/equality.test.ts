// Partitions reproduce the whole model: real onnxruntime runs the whole model and the parts
// (stage by stage, split parts concatenated) on random frames; the largest difference relative to
// the output's scale stays under 1e-5.
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildZooModel,
  encodeModel,
  partitionModel,
  type OnnxModel,
  type PartitionSpec,
} from '../../../src-main/model/index';
import { TORCH_INPUT } from '../../../src-main/contract/modelCard';
import { wrapModel } from '../../../src-main/model/wrap';
import {
  randomFrames,
  runManifest,
  SESSION_OPTIONS,
  verifyPartition,
} from '../../../src-main/model/verify';
import { caffe2Alexnet, pytorchCnn, resnetCnn, tf2onnxCnn } from '../../unit/model/exporters';

const dir = mkdtempSync(join(tmpdir(), 'mchair-equality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectEqual(model: OnnxModel, spec: PartitionSpec, frames = 2): Promise<void> {
  const r = await verifyPartition(model, spec, { frames });
  expect(r.stages).toBe(spec.cuts.length + 1);
  expect(r.maxRelDiff).toBeLessThan(1e-5);
  expect(r.ok).toBe(true);
}

describe('partitions equal the whole model (onnxruntime)', () => {
  it('tiny-cnn, checked by hand with onnxruntime', async () => {
    const model = buildZooModel('tiny-cnn', { seed: 5 });
    const out = join(dir, 'tiny');
    const manifest = await partitionModel(
      model,
      { cuts: ['pool1', 'flat', 'fc1'], splits: [{ stage: 2, parts: 3 }] },
      out,
    );
    const [frame] = randomFrames(model, 1, 42);
    // As the reference executor opens them (no x86 layout rewrite), so the two agree bit for bit.
    const whole = await ort.InferenceSession.create(encodeModel(model), SESSION_OPTIONS);
    const expected = (await whole.run({ input: frame! })).probs!.data as Float32Array;
    let x: ort.Tensor = frame!;
    for (const stage of manifest.stages) {
      const outs: ort.Tensor[] = [];
      for (const part of stage.parts) {
        const s = await ort.InferenceSession.create(
          readFileSync(join(out, part.file)),
          SESSION_OPTIONS,
        );
        outs.push((await s.run({ [part.inputs[0]!]: x }))[part.outputs[0]!]!);
      }
      if (!stage.concat) x = outs[0]!;
      else {
        // The split stage is fc1: [1, n] parts joined along axis 1.
        const joined = new Float32Array(outs.reduce((n, o) => n + o.size, 0));
        outs.reduce((at, o) => (joined.set(o.data as Float32Array, at), at + o.size), 0);
        x = new ort.Tensor('float32', joined, [1, joined.length]);
      }
    }
    const got = x.data as Float32Array;
    const scale = Math.max(...expected.map(Math.abs));
    const diff = Math.max(...got.map((v, i) => Math.abs(v - expected[i]!)));
    expect(got.length).toBe(1000);
    expect(diff / scale).toBeLessThan(1e-5);
    // And the reference executor agrees.
    const viaManifest = await runManifest(out, manifest, [frame!]);
    expect(Array.from(viaManifest[0]!.data as Float32Array)).toEqual(Array.from(got));
  });

  it('tiny-cnn cut at every other layer', () =>
    expectEqual(buildZooModel('tiny-cnn'), {
      cuts: [
        'preprocess.centered',
        'image',
        'conv1',
        'pool2',
        'conv3.conv',
        'flat',
        'fc1',
        'logits',
      ],
    }));

  it('tiny-cnn with a conv stage split in 3', () =>
    expectEqual(buildZooModel('tiny-cnn'), {
      cuts: ['pool1', 'conv2'],
      splits: [{ stage: 1, parts: 3 }],
    }));

  it('alexnet-mc as the paper ran it: fc_1 in two halves', () =>
    expectEqual(buildZooModel('alexnet-mc'), {
      cuts: ['flat', 'fc1'],
      splits: [{ stage: 1, parts: 2 }],
    }));

  it('alexnet-mc with fc_1 in 3 uneven parts and conv5+pool+flatten in 3', () =>
    expectEqual(buildZooModel('alexnet-mc', { seed: 2 }), {
      cuts: ['conv4', 'flat', 'fc1'],
      splits: [
        { stage: 1, parts: 3 },
        { stage: 2, parts: 3 },
      ],
    }));

  it('torchvision alexnet with the flatten duplicated in each fc_1 part', () =>
    expectEqual(
      buildZooModel('alexnet'),
      {
        cuts: ['pool5', 'fc1', 'fc2'],
        splits: [
          { stage: 1, parts: 2 },
          { stage: 2, parts: 5 },
        ],
      },
      1,
    ));

  it('Caffe2 bvlc_alexnet: grouped conv split across and along groups, Dropout, Reshape', async () => {
    const m = caffe2Alexnet();
    await expectEqual(m, {
      cuts: ['pool1_1', 'conv2_2', 'OC2_DUMMY_0', 'fc6_2'],
      splits: [
        { stage: 1, parts: 3 },
        { stage: 3, parts: 2 },
      ],
    });
    await expectEqual(m, {
      cuts: ['pool2_1', 'conv3_2', 'conv4_2'],
      splits: [{ stage: 2, parts: 2 }],
    });
  });

  it('PyTorch flatten by Shape/Gather/Unsqueeze/Concat, opsets 11 and 13', async () => {
    for (const opset of [11, 13]) {
      await expectEqual(pytorchCnn(opset), {
        cuts: ['12', '14', '22', '24'],
        splits: [
          { stage: 1, parts: 3 },
          { stage: 3, parts: 2 },
        ],
      });
      await expectEqual(pytorchCnn(opset), { cuts: ['15'] });
    }
  });

  it('tf2onnx MatMul + Add split into column slices', () =>
    expectEqual(tf2onnxCnn(), {
      cuts: ['sequential/flatten/Reshape:0', 'sequential/dense/Relu:0'],
      splits: [{ stage: 1, parts: 3 }],
    }));

  it('ResNet: BatchNormalization sliced with its conv, cuts between residual blocks', () =>
    expectEqual(resnetCnn(), {
      cuts: ['stem.relu', 'layer1.out', 'layer2.out'],
      splits: [{ stage: 0, parts: 3 }],
    }));
});

describe('a model wrapped by a torchvision card', () => {
  it('prepends the preprocessing so uint8 NHWC frames give what the float model gives on normalised NCHW', async () => {
    const float = pytorchCnn(13);
    const card = {
      title: 't',
      input: { ...TORCH_INPUT, resize: [32, 32] as [number, number], crop: 'none' as const },
      output: 'probs' as const,
      labels: Array.from({ length: 10 }, (_, i) => `c${i}`),
    };
    const imported = wrapModel(float, card);
    expect(imported.proto.graph!.input![0]!.name).toBe('input');
    const [frame] = randomFrames(imported, 1, 3);
    const pixels = frame!.data as Uint8Array;
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const nchw = new Float32Array(3 * 32 * 32);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++)
          nchw[c * 1024 + y * 32 + x] = (pixels[(y * 32 + x) * 3 + c]! / 255 - mean[c]!) / std[c]!;
    const a = await ort.InferenceSession.create(encodeModel(imported));
    const b = await ort.InferenceSession.create(encodeModel(float));
    const got = (await a.run({ input: frame! })).probs!.data as Float32Array;
    const want = (await b.run({ 'input.1': new ort.Tensor('float32', nchw, [1, 3, 32, 32]) }))
      .output!.data as Float32Array;
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    await expectEqual(imported, {
      cuts: ['preprocess.normalised', '12', '22', '24'],
      splits: [{ stage: 3, parts: 2 }],
    });
  });
});
