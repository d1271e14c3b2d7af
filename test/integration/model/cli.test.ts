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

// A fresh data folder: the library of the machine's default one may hold models of its own,
// which an error that lists the library's models would name.
const mchair = (...args: string[]): Promise<CliResult> =>
  runMchair('--data-dir', join(dir, 'data'), ...args);

/** Exit 1 for a problem with a file or a model, 2 for wrong usage (a flag missing or wrong). */
function expectOneLineError(r: CliResult, pattern: RegExp, code = 1): void {
  expect(r.code).toBe(code);
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

  it('imports a trained model by its card: into a file with --out, into the library without', async () => {
    const src = join(dir, 'torch.onnx');
    writeFileSync(src, encodeModel(pytorchCnn()));
    const out = join(dir, 'torch-u8.onnx');
    const card = ['--layout', 'nchw', '--channels', 'rgb', '--range', '0-1'];
    const norm = [
      '--mean',
      '0.485,0.456,0.406',
      '--std',
      '0.229,0.224,0.225',
      '--output',
      'logits',
    ];
    const r = await mchair('model', 'import', src, '--out', out, ...card, ...norm, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.input).toEqual({ name: 'input', dtype: 'uint8', shape: [1, 32, 32, 3] });
    expect(doc.output).toEqual({ name: 'probs', dtype: 'float32', shape: [1, 10] });
    expect(doc.card.labels).toEqual(Array.from({ length: 10 }, (_, i) => `class ${i}`));
    expect(doc.card.input).toMatchObject({ dtype: 'float32', resize: [32, 32], crop: 'none' });
    const data = join(dir, 'lib');
    const lib = await mchair(
      '--data-dir',
      data,
      'model',
      'import',
      src,
      '--name',
      'torch',
      ...card,
      ...norm,
      '--json',
    );
    expect(lib.code).toBe(0);
    const kept = JSON.parse(readFileSync(join(data, 'models', 'torch.card.json'), 'utf8'));
    expect(kept.source.sha256).toBe(sha256Hex(readFileSync(src)));
    expect(existsSync(join(data, 'models', 'torch.onnx'))).toBe(true);
    expectOneLineError(
      await mchair('--data-dir', data, 'model', 'import', src, '--name', 'x'),
      /torch\.onnx is not in the catalogue: its card needs --layout, --channels, --range, --output/,
      2,
    );
    expectOneLineError(
      await mchair(
        'model',
        'import',
        out,
        '--out',
        join(dir, 'x.onnx'),
        ...card,
        '--output',
        'probs',
      ),
      /the card says uint8 NCHW input \[1,3,H,W\] but the graph's input "input" is uint8 \[1,32,32,3\]/,
    );
    expectOneLineError(
      await mchair(
        'model',
        'import',
        src,
        '--out',
        join(dir, 'x.onnx'),
        ...card,
        '--output',
        'probs',
        '--mean',
        '1,2',
      ),
      /--mean: takes three numbers R,G,B/,
      2,
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
      /no model "resnet9000"; choose from tiny-cnn, alexnet-mc, alexnet, vgg16, an \.onnx file, or import one/,
    );
    expectOneLineError(
      await mchair('model', 'build', 'lenet', '--out', join(dir, 'l.onnx')),
      /unknown zoo model "lenet"/,
      2,
    );
    expectOneLineError(await mchair('model', 'build', 'tiny-cnn'), /--out: is required/, 2);
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
      2,
    );
    expectOneLineError(
      await mchair('partition', '--model', 'tiny-cnn', '--cut', 'flat'),
      /--out: is required/,
      2,
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
