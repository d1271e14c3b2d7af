// The model commands as a user runs them: the built `mchair` in a child process, checking stdout,
// the one-line errors on stderr and the exit codes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMchair, type CliResult } from '../cli/run-mchair';
import { Manifest } from '../../../src-main/contract/manifest';
import { encodeModel } from '../../../src-main/model/index';
import { sha256Hex } from '../../../src-main/model/onnx';
import { GraphWriter, pytorchCnn } from '../../unit/model/exporters';

const dir = mkdtempSync(join(tmpdir(), 'mchair-model-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mchair = runMchair;

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('mchair model', () => {
  it('builds a zoo model deterministically and inspects it as JSON', async () => {
    const out = join(dir, 'tiny.onnx');
    const built = await mchair('model', 'build', 'tiny-cnn', '--out', out, '--seed', '3', '--json');
    expect(built.code).toBe(0);
    const summary = JSON.parse(built.stdout);
    expect(summary).toMatchObject({
      path: out,
      model: 'tiny-cnn',
      params: 344_174,
      input: { name: 'input', dtype: 'uint8' },
    });
    expect(sha256Hex(readFileSync(out))).toBe(summary.sha256);
    const again = await mchair(
      'model',
      'build',
      'tiny-cnn',
      '--out',
      join(dir, 'tiny2.onnx'),
      '--seed',
      '3',
      '--json',
    );
    expect(JSON.parse(again.stdout).sha256).toBe(summary.sha256);

    const inspected = await mchair('model', 'inspect', out, '--json');
    expect(inspected.code).toBe(0);
    const r = JSON.parse(inspected.stdout);
    expect(r.name).toBe('tiny');
    expect(r.layers[4]).toMatchObject({
      name: 'conv1',
      op: 'Conv',
      outputShape: [1, 16, 112, 112],
    });
    expect(r.totals).toEqual({
      macs: summary.macs,
      params: summary.params,
      paramBytes: summary.params * 4,
    });
  });

  it('prints the inspect table for people', async () => {
    const r = await mchair('model', 'inspect', 'alexnet-mc');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^alexnet-mc: input uint8 \[1,224,224,3\] -> probs float32 \[1,1000\]/,
    );
    expect(r.stdout).toMatch(/\nflatten\s+Flatten\s+flat\s+\[1,6272\]/);
    expect(r.stdout).toMatch(/\(373,510,144 MACs, 47,518,382 parameters\)/);
  });

  it('imports a float NCHW model with a uint8 NHWC input', async () => {
    const src = join(dir, 'torch.onnx');
    writeFileSync(src, encodeModel(pytorchCnn()));
    const out = join(dir, 'torch-u8.onnx');
    const r = await mchair('model', 'import', src, '--out', out, '--uint8-input', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).input).toEqual({
      name: 'input',
      dtype: 'uint8',
      shape: [1, 32, 32, 3],
    });
    const kept = await mchair('model', 'import', src, '--out', join(dir, 'torch-f.onnx'), '--json');
    expect(JSON.parse(kept.stdout).input).toEqual({
      name: 'input.1',
      dtype: 'float32',
      shape: [1, 3, 32, 32],
    });
    expectOneLineError(
      await mchair('model', 'import', out, '--out', join(dir, 'x.onnx'), '--uint8-input'),
      /--uint8-input needs a float32 NCHW input/,
    );
  });

  it('refuses bad files and names with one line', async () => {
    writeFileSync(join(dir, 'junk.onnx'), 'this is not a model');
    expectOneLineError(
      await mchair('model', 'inspect', join(dir, 'junk.onnx')),
      /junk\.onnx: not an ONNX model .*\[MODEL_INVALID\]/,
    );
    expectOneLineError(
      await mchair('model', 'inspect', 'resnet9000'),
      /resnet9000: no such file, and not a zoo model \(tiny-cnn, alexnet-mc, alexnet, vgg16\)/,
    );
    expectOneLineError(
      await mchair('model', 'build', 'lenet', '--out', join(dir, 'l.onnx')),
      /unknown zoo model "lenet"/,
    );
    expectOneLineError(await mchair('model', 'build', 'tiny-cnn'), /--out: is required/);
  });
});

describe('mchair partition and verify', () => {
  it('lists cuts, and writes parts with a manifest', async () => {
    const cuts = await mchair('partition', '--list-cuts', 'tiny-cnn');
    expect(cuts.code).toBe(0);
    expect(cuts.stdout.trim().split('\n')).toContain('flat');
    const out = join(dir, 'parts');
    const r = await mchair(
      'partition',
      '--model',
      'tiny-cnn',
      '--cut',
      'flat,fc1',
      '--split',
      '1:3',
      '--out',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const { manifest } = JSON.parse(r.stdout);
    expect(Manifest.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')))).toEqual(
      manifest,
    );
    expect(manifest.stages[1].parts).toHaveLength(3);
    for (const f of ['s0.p0.onnx', 's1.p0.onnx', 's1.p1.onnx', 's1.p2.onnx', 's2.p0.onnx'])
      expect(existsSync(join(out, f))).toBe(true);
  });

  it('refuses bad cuts and splits, listing the valid choices', async () => {
    const out = join(dir, 'bad');
    expectOneLineError(
      await mchair('partition', '--model', 'tiny-cnn', '--cut', 'fc9', '--out', out),
      /cannot cut at "fc9": no layer produces it\. Valid cuts: .*flat, fc1\.gemm, fc1, logits/,
    );
    expectOneLineError(
      await mchair(
        'partition',
        '--model',
        'tiny-cnn',
        '--cut',
        'flat',
        '--split',
        '1:2',
        '--out',
        out,
      ),
      /cannot split stage 1 \(flat -> probs\)/,
    );
    expectOneLineError(
      await mchair(
        'partition',
        '--model',
        'tiny-cnn',
        '--cut',
        'flat',
        '--split',
        '1-2',
        '--out',
        out,
      ),
      /--split: must be STAGE:PARTS/,
    );
    expectOneLineError(
      await mchair('partition', '--model', 'tiny-cnn', '--cut', 'flat'),
      /--out: is required/,
    );
    expectOneLineError(
      await mchair(
        'partition',
        '--model',
        'tiny-cnn',
        '--plan',
        join(dir, 'none.json'),
        '--out',
        out,
      ),
      /--plan: cannot read/,
    );
  });

  it('verifies partitions against the whole model', async () => {
    const r = await mchair(
      'verify',
      '--model',
      'tiny-cnn',
      '--cut',
      'pool1,flat,fc1',
      '--split',
      '2:3',
      '--frames',
      '2',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      model: 'tiny-cnn',
      frames: 2,
      stages: 4,
      parts: 6,
      ok: true,
      tolerance: 1e-5,
    });
    const human = await mchair('verify', '--model', 'tiny-cnn', '--cut', 'flat');
    expect(human.stdout).toMatch(/OK: the parts reproduce the whole model/);
  });

  it('exits 1 when the parts do not reproduce the model (Dropout left in training mode)', async () => {
    const g = new GraphWriter();
    g.weight('w1', [64, 32]);
    g.weight('w2', [32, 10]);
    g.constant('ratio', 'float32', [], [0.5]);
    g.constant('training', 'bool', [], [1]);
    g.node('MatMul', ['x', 'w1'], ['h'], {}, 'fc1');
    g.node('Dropout', ['h', 'ratio', 'training'], ['d'], {}, 'drop');
    g.node('MatMul', ['d', 'w2'], ['y'], {}, 'fc2');
    const file = join(dir, 'training.onnx');
    writeFileSync(
      file,
      encodeModel(
        g.model({
          name: 'training',
          irVersion: 8,
          opset: 13,
          input: { name: 'x', shape: [1, 64] },
          output: { name: 'y', shape: [1, 10] },
        }),
      ),
    );
    const r = await mchair('verify', '--model', file, '--cut', 'h', '--json');
    expectOneLineError(
      r,
      /the partitions differ from the whole model by .* \(relative\), above the tolerance 0\.00001 \[PARTITION_MISMATCH\]/,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, stages: 2 });
  });
});
