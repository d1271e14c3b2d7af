// The zoo's architectures and the per-layer cost model, checked against the published figures.
import { describe, expect, it } from 'vitest';
import {
  buildZooModel,
  encodeModel,
  inspectModel,
  formatInspection,
} from '../../../src-main/model/index';
import { sha256Hex } from '../../../src-main/model/onnx';

// The preprocessing prefix adds ImageNet's mean and std: 3 + 3 constants.
const PREFIX_PARAMS = 6;

describe('zoo models and inspect', () => {
  it('gives every layer in the JSON shape the planner reads', () => {
    const r = inspectModel(buildZooModel('tiny-cnn'));
    expect(Object.keys(r)).toEqual(['input', 'output', 'layers', 'totals']);
    expect(r.input).toEqual({ name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3] });
    expect(r.output).toEqual({ name: 'probs', dtype: 'float32', shape: [1, 1000] });
    for (const l of r.layers) {
      expect(Object.keys(l)).toEqual([
        'name',
        'op',
        'inputs',
        'outputs',
        'outputShape',
        'macs',
        'params',
        'paramBytes',
        'activationBytes',
        // A convolution's kernel area: the cost model's conv size classes read it.
        ...(l.op === 'Conv' ? ['kernel'] : []),
      ]);
    }
    expect(r.layers.filter((l) => l.op === 'Conv').map((l) => l.kernel)).toEqual([9, 9, 9]);
    expect(r.layers.map((l) => l.op).slice(0, 5)).toEqual([
      'Cast',
      'Sub',
      'Div',
      'Transpose',
      'Conv',
    ]);
    expect(r.layers.at(-1)).toMatchObject({
      name: 'softmax',
      op: 'Softmax',
      outputs: ['probs'],
      outputShape: [1, 1000],
      activationBytes: 4000,
    });
    const conv1 = r.layers.find((l) => l.name === 'conv1')!;
    // 16 filters of 3x3x3 at 112x112.
    expect(conv1).toMatchObject({
      inputs: ['image', 'conv1.weight', 'conv1.bias'],
      outputShape: [1, 16, 112, 112],
      macs: 112 * 112 * 16 * 27,
      params: 16 * 27 + 16,
      paramBytes: 4 * (16 * 27 + 16),
    });
    expect(r.totals.macs).toBe(r.layers.reduce((s, l) => s + l.macs, 0));
    expect(r.totals.params).toBe(r.layers.reduce((s, l) => s + l.params, 0));
    expect(r.totals.paramBytes).toBe(4 * r.totals.params);
  });

  it('builds torchvision AlexNet: 61,100,840 parameters and 0.714 G MACs', () => {
    const r = inspectModel(buildZooModel('alexnet'));
    expect(r.totals.params).toBe(61_100_840 + PREFIX_PARAMS);
    expect((r.totals.macs / 1e9).toFixed(3)).toBe('0.714');
    expect(r.layers.find((l) => l.name === 'flatten')!.outputShape).toEqual([1, 9216]);
  });

  it('builds VGG16: 138,357,544 parameters and 15.47 G MACs', () => {
    const r = inspectModel(buildZooModel('vgg16'));
    expect(r.totals.params).toBe(138_357_544 + PREFIX_PARAMS);
    expect((r.totals.macs / 1e9).toFixed(2)).toBe('15.47');
    expect(r.layers.filter((l) => l.op === 'Conv')).toHaveLength(13);
    expect(r.layers.find((l) => l.name === 'flatten')!.outputShape).toEqual([1, 25088]);
    // fc1 alone: 25088 x 4096 float32, too big for a Pi 3.
    expect(r.layers.find((l) => l.name === 'fc1')!.paramBytes).toBe((25088 * 4096 + 4096) * 4);
  }, 60_000);

  it("builds Musical Chair's AlexNet: flatten 6272, fc 4096-4096-1000", () => {
    const r = inspectModel(buildZooModel('alexnet-mc'));
    const shape = (name: string) => r.layers.find((l) => l.name === name)!.outputShape;
    expect(shape('conv1')).toEqual([1, 48, 56, 56]);
    expect(shape('flatten')).toEqual([1, 6272]);
    expect([shape('fc1'), shape('fc2'), shape('fc3')]).toEqual([
      [1, 4096],
      [1, 4096],
      [1, 1000],
    ]);
    // The conv output crossing to fc_1 is 25,088 bytes, as in the paper.
    expect(r.layers.find((l) => l.name === 'flatten')!.activationBytes).toBe(25_088);
    const table = formatInspection('alexnet-mc', r);
    expect(table).toContain('alexnet-mc: input uint8 [1,224,224,3] -> probs float32 [1,1000]');
    expect(table.split('\n').find((l) => l.startsWith('fc1 '))).toMatch(
      /Gemm\s+fc1\.gemm\s+\[1,4096\]\s+25\.7 M\s+25\.7 M\s+98\.0 MiB/,
    );
  });

  it('makes the same bytes from the same seed, and other weights from another', () => {
    const a = sha256Hex(encodeModel(buildZooModel('tiny-cnn', { seed: 3 })));
    expect(sha256Hex(encodeModel(buildZooModel('tiny-cnn', { seed: 3 })))).toBe(a);
    expect(sha256Hex(encodeModel(buildZooModel('tiny-cnn', { seed: 4 })))).not.toBe(a);
  });
});
