// Reading and writing ONNX: round trips, external data, exporters' files and hostile ones.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src-main/contract/errors';
import {
  analyseModel,
  buildZooModel,
  encodeModel,
  inspectModel,
  listCuts,
  loadModel,
  ModelInvalidError,
  ModelOpUnsupportedError,
  saveModel,
} from '../../../src-main/model/index';
import { type OnnxModel, sha256Hex, tensorBytes, valuesTensor } from '../../../src-main/model/onnx';
import { seededUniform } from '../../../src-main/model/seeded';
import { caffe2Alexnet, GraphWriter, pytorchCnn, resnetCnn, tf2onnxCnn } from './exporters';

const dir = mkdtempSync(join(tmpdir(), 'mchair-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a load-and-analyse raises, as the one line a user sees. */
function failure(load: () => OnnxModel): Error {
  try {
    analyseModel(load());
  } catch (err) {
    expect(err instanceof ModelInvalidError || err instanceof ModelOpUnsupportedError).toBe(true);
    expect((err as Error).message).not.toContain('\n');
    return err as Error;
  }
  throw new Error('expected the model to be refused');
}

describe('ONNX files', () => {
  it('round-trips a model byte for byte, in memory and on disk', () => {
    const bytes = encodeModel(buildZooModel('tiny-cnn'));
    const again = encodeModel(loadModel(bytes));
    expect(sha256Hex(again)).toBe(sha256Hex(bytes));
    const saved = saveModel(loadModel(bytes), join(dir, 'tiny.onnx'));
    expect(saved.sha256).toBe(sha256Hex(bytes));
    expect(saved.bytes).toBe(bytes.byteLength);
    expect(sha256Hex(readFileSync(saved.path))).toBe(saved.sha256);
    const loaded = loadModel(saved.path);
    expect(loaded.name).toBe('tiny');
    expect(inspectModel(loaded)).toEqual(inspectModel(buildZooModel('tiny-cnn')));
  });

  it('loads weights as views into the file buffer, not copies', () => {
    const bytes = encodeModel(buildZooModel('tiny-cnn'));
    const inits = loadModel(bytes).proto.graph!.initializer!;
    const buffers = new Set(inits.map((t) => tensorBytes(t).buffer));
    expect([...buffers]).toEqual([bytes.buffer]);
  });

  it('writes and reads external data beside the model', () => {
    const m = buildZooModel('tiny-cnn', { seed: 9 });
    const saved = saveModel(m, join(dir, 'ext.onnx'), { externalData: true });
    expect(saved.dataFile).toBe('ext.onnx.data');
    expect(saved.bytes).toBeLessThan(20_000);
    const loaded = loadModel(join(dir, 'ext.onnx'));
    expect(sha256Hex(encodeModel(loaded))).toBe(sha256Hex(encodeModel(m)));
  });

  it('refuses external data outside the model folder', () => {
    const g = new GraphWriter();
    g.weight('w', [4, 8]);
    g.node('MatMul', ['x', 'w'], ['y']);
    const m = g.model({
      name: 'ext',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 4] },
      output: { name: 'y', shape: [1, 8] },
    });
    const inner = join(dir, 'inner');
    const write = (location: string) => {
      const t = m.proto.graph!.initializer![0]!;
      const copy = {
        ...m.proto,
        graph: {
          ...m.proto.graph,
          initializer: [
            {
              ...t,
              rawData: undefined,
              dataLocation: 1,
              externalData: [{ key: 'location', value: location }],
            },
          ],
        },
      };
      rmSync(inner, { recursive: true, force: true });
      mkdirSync(inner);
      writeFileSync(join(inner, 'm.onnx'), encodeModel(copy));
      return join(inner, 'm.onnx');
    };
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(128));
    expect(failure(() => loadModel(write('../secret.bin'))).message).toMatch(
      /leaves the model's folder/,
    );
    expect(failure(() => loadModel(write(join(dir, 'secret.bin')))).message).toMatch(
      /leaves the model's folder/,
    );
    const path = write('link.bin');
    symlinkSync(join(dir, 'secret.bin'), join(inner, 'link.bin'));
    expect(failure(() => loadModel(path)).message).toMatch(/links outside the model's folder/);
    expect(failure(() => loadModel(write('missing.bin'))).message).toMatch(
      /not found next to the model/,
    );
  });
});

describe("exporters' files", () => {
  it("reads Caffe2's bvlc_alexnet layout (IR 3, weights among the inputs, LRN, groups, Dropout ratio)", () => {
    const r = inspectModel(loadModel(encodeModel(caffe2Alexnet(1)), { name: 'bvlc_alexnet' }));
    expect(r.input).toEqual({ name: 'data_0', dtype: 'float32', shape: [1, 3, 224, 224] });
    // bvlc_alexnet: 60,965,224 parameters.
    expect(r.totals.params).toBe(60_965_224);
    expect(r.layers.find((l) => l.op === 'Reshape')!.outputShape).toEqual([1, 9216]);
    expect(r.layers.filter((l) => l.op === 'LRN')).toHaveLength(2);
    expect(r.layers.find((l) => l.op === 'LRN')!.macs).toBe(96 * 54 * 54 * 5);
  });

  it('folds a PyTorch flatten (Shape/Gather/Unsqueeze/Concat) into a constant Reshape', () => {
    for (const opset of [11, 13]) {
      const r = inspectModel(pytorchCnn(opset));
      expect(r.input.shape).toEqual([1, 3, 32, 32]);
      expect(r.layers.map((l) => l.op)).toEqual([
        'Conv',
        'Relu',
        'MaxPool',
        'Conv',
        'Relu',
        'MaxPool',
        'Reshape',
        'Gemm',
        'Relu',
        'Gemm',
      ]);
      expect(r.layers.find((l) => l.op === 'Reshape')!.outputShape).toEqual([1, 2048]);
      expect(r.totals.params).toBe(16 * 27 + 16 + 32 * 144 + 32 + 2048 * 64 + 64 + 640 + 10);
    }
  });

  it('reads a tf2onnx model: NHWC input, MatMul + Add, SAME_UPPER and VALID padding', () => {
    const r = inspectModel(tf2onnxCnn());
    expect(r.input).toEqual({ name: 'input_1', dtype: 'float32', shape: [1, 32, 32, 3] });
    expect(r.layers.find((l) => l.op === 'Conv')!.outputShape).toEqual([1, 8, 32, 32]);
    expect(r.layers.find((l) => l.name === 'sequential/dense/MatMul')).toMatchObject({
      outputShape: [1, 48],
      macs: 2048 * 48,
    });
    expect(r.output.shape).toEqual([1, 10]);
  });

  it('reads a ResNet: BatchNormalization, residual Add, GlobalAveragePool', () => {
    const r = inspectModel(resnetCnn());
    expect(r.layers.find((l) => l.name === 'layer2.add')!.outputShape).toEqual([1, 32, 16, 16]);
    expect(r.layers.find((l) => l.name === 'avgpool')!.outputShape).toEqual([1, 32, 1, 1]);
    expect(r.layers.find((l) => l.name === 'stem.bn')).toMatchObject({
      params: 64,
      macs: 16 * 32 * 32,
    });
  });
});

describe('hostile files', () => {
  const good = encodeModel(buildZooModel('tiny-cnn'));

  it('refuses empty, truncated and random files with one clear line', () => {
    writeFileSync(join(dir, 'empty.onnx'), new Uint8Array(0));
    expect(failure(() => loadModel(join(dir, 'empty.onnx'))).message).toMatch(/empty/);
    for (const cut of [
      3,
      100,
      1000,
      50_000,
      Math.floor(good.byteLength / 2),
      good.byteLength - 7,
    ]) {
      const e = failure(() => loadModel(good.subarray(0, cut), { name: `truncated-${cut}` }));
      expect(e.message).toMatch(/^truncated-\d+: /);
    }
    for (let seed = 1; seed <= 20; seed++) {
      const noise = Uint8Array.from(seededUniform(4096, 1, seed, 'noise'), (v) =>
        Math.floor((v + 1) * 127.9),
      );
      failure(() => loadModel(noise, { name: 'noise' }));
    }
    expect(failure(() => loadModel(join(dir, 'nope.onnx'))).message).toMatch(/no such file/);
    expect(failure(() => loadModel(dir)).message).toMatch(/is a folder/);
  });

  it('never crashes on corrupted bytes: each mutation loads or gives a toolkit error', () => {
    const bases = [encodeModel(pytorchCnn()), encodeModel(caffe2Alexnet(0.05))];
    let state = 12345;
    const rand = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let k = 0; k < 400; k++) {
      const bytes = Uint8Array.from(bases[k % 2]!);
      for (let f = 0; f <= rand() * 4; f++) {
        // Mostly in the graph's structure, which comes before the weights.
        const span = rand() < 0.7 ? Math.min(4000, bytes.length) : bytes.length;
        bytes[Math.floor(rand() * span)] = Math.floor(rand() * 256);
      }
      try {
        const m = loadModel(bytes, { name: 'mutant' });
        inspectModel(m);
        listCuts(m);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
      }
    }
  });

  it('refuses a cyclic graph, naming its nodes', () => {
    const g = new GraphWriter();
    g.node('Relu', ['x', 'b'], ['a'], {}, 'first');
    g.node('Relu', ['a'], ['b'], {}, 'second');
    g.node('Relu', ['b'], ['y'], {}, 'third');
    const m = g.model({
      name: 'cyclic',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 4] },
      output: { name: 'y', shape: [1, 4] },
    });
    expect(failure(() => loadModel(encodeModel(m), { name: 'cyclic' })).message).toMatch(
      /cycle through nodes "first", "second"/,
    );
  });

  it('refuses absurd dimensions', () => {
    const g = new GraphWriter();
    g.node('Relu', ['x'], ['y']);
    const huge = g.model({
      name: 'huge',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 3, 1_000_000_000, 1_000_000_000] },
      output: { name: 'y', shape: [1] },
    });
    expect(failure(() => loadModel(encodeModel(huge), { name: 'huge' })).message).toMatch(
      /absurd shape/,
    );
    const negative = g.model({
      name: 'neg',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, -5] },
      output: { name: 'y', shape: [1] },
    });
    expect(failure(() => loadModel(encodeModel(negative), { name: 'neg' })).message).toMatch(
      /unknown dim 1/,
    );
    const w = new GraphWriter();
    w.node('Add', ['x', 'w'], ['y']);
    const lying = w.model({
      name: 'lying',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 4] },
      output: { name: 'y', shape: [1, 4] },
    });
    lying.proto.graph!.initializer = [
      { ...valuesTensor('w', 'float32', [4], [1, 2, 3, 4]), dims: [4_000_000_000] },
    ];
    expect(failure(() => loadModel(encodeModel(lying), { name: 'lying' })).message).toMatch(
      /absurd dimension 4000000000/,
    );
    lying.proto.graph!.initializer = [
      { ...valuesTensor('w', 'float32', [4], [1, 2, 3, 4]), dims: [1000] },
    ];
    expect(failure(() => loadModel(encodeModel(lying), { name: 'lying' })).message).toMatch(
      /holds 16 bytes but its shape \[1000\] of float32 needs 4000/,
    );
  });

  it.each([
    ['', 'Einsum', 'mixer', 'Einsum'],
    // A name left empty is generated; another domain's op is named with its domain.
    ['com.microsoft', 'FusedConv', '', 'com.microsoft.FusedConv'],
  ])(
    'names an unsupported operator (domain "%s" %s), its node and position',
    (domain, op, name, type) => {
      const g = new GraphWriter();
      g.node('Relu', ['x'], ['h'], {}, 'act');
      g.nodes.push({ name, opType: op, domain, input: ['h'], output: ['y'] });
      const m = g.model({
        name: 'odd',
        irVersion: 8,
        opset: 13,
        input: { name: 'x', shape: [1, 4] },
        output: { name: 'y', shape: [1, 4] },
      });
      const e = failure(() => m) as ModelOpUnsupportedError;
      expect(e).toBeInstanceOf(ModelOpUnsupportedError);
      const node = name || `${op}_1`;
      expect(
        e.message.startsWith(
          `operator ${type} in node "${node}" (node 1 in the file) is not supported (supported: `,
        ),
      ).toBe(true);
      expect(e.message).toMatch(/Conv.*com\.microsoft\.QLinearAdd/);
      expect(e.message).not.toContain('\n');
      expect(e.where).toEqual({ op: type, node, index: 1 });
    },
  );

  it('refuses graphs that read tensors nothing produces, and misshapen layers', () => {
    const g = new GraphWriter();
    g.node('Add', ['x', 'ghost'], ['y'], {}, 'adder');
    const m = g.model({
      name: 'ghost',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 4] },
      output: { name: 'y', shape: [1, 4] },
    });
    expect(failure(() => m).message).toMatch(
      /node "adder" reads tensor "ghost" that nothing produces/,
    );
    const c = new GraphWriter();
    c.weight('w', [8, 5, 3, 3]);
    c.node('Conv', ['x', 'w'], ['y'], {}, 'conv');
    const bad = c.model({
      name: 'bad',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 3, 8, 8] },
      output: { name: 'y', shape: [1] },
    });
    expect(failure(() => bad).message).toMatch(
      /node "conv" \(Conv\): input has 3 channels but weight expects 5 x 1 groups/,
    );
  });
});
