// Planning from shapes: costing, planning and `model inspect` read a model's graph and shapes and
// never its weights, neither making the zoo's (the generator is spied on) nor reading a file's
// (the bytes this process reads are counted, and weights overwritten with garbage plan the same);
// everything that needs the bytes (partition, save) still gets them, byte for byte as before.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src-main/shared/events';
import { modelHandlers } from '../../../src-main/core/models';
import {
  buildPartition,
  buildZooModel,
  encodeModel,
  inspectModel,
  listCuts,
  loadModel,
  ModelInvalidError,
  type OnnxModel,
  partitionModel,
  saveModel,
  ZOO_NAMES,
} from '../../../src-main/model/index';
import {
  makeTensor,
  sha256Hex,
  type TensorProto,
  tensorBytes,
  tensorValues,
} from '../../../src-main/model/onnx';
import { seededUniform } from '../../../src-main/model/seeded';
import { farmFromSpec, loadPlannerModel, planModel } from '../../../src-main/planner/index';
import { GraphWriter, tf2onnxCnn } from './exporters';

vi.mock('../../../src-main/model/seeded', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src-main/model/seeded')>();
  return { ...real, seededUniform: vi.fn(real.seededUniform) };
});
const generated = vi.mocked(seededUniform);

const dir = mkdtempSync(join(tmpdir(), 'mchair-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => generated.mockClear());

const FARM = 'pi3:4,pi4:2,tx2-cpu:1';

/** The best plan's JSON, the planner's search time left out. */
function planOf(ref: string): unknown {
  return planModel(loadPlannerModel(ref), farmFromSpec(FARM)).plans[0];
}

/** Bytes this process has read (through read(2) and friends) since it started. */
function bytesRead(): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

/** The sha256 of every part file, in manifest order. */
async function partHashes(model: OnnxModel, spec: Parameters<typeof partitionModel>[1]) {
  const out = mkdtempSync(join(dir, 'parts-'));
  const manifest = await partitionModel(model, spec, out);
  return manifest.stages.flatMap((s) => s.parts.map((p) => p.sha256));
}

/** Where a tensor's bytes lie in a file written from it (random weights do not repeat). */
function offsetIn(file: Buffer, t: TensorProto): number {
  const at = file.indexOf(tensorBytes(t).subarray(0, 64));
  expect(at).toBeGreaterThan(0);
  return at;
}

describe("the zoo's weights are made only when read", () => {
  it('costing, cuts, planning, a split partition in memory and core costing make none', async () => {
    for (const name of ZOO_NAMES) {
      const m = buildZooModel(name);
      inspectModel(m);
      listCuts(m);
      planOf(name);
    }
    const p = buildPartition(buildZooModel('vgg16'), {
      cuts: ['flat', 'fc1'],
      splits: [{ stage: 1, parts: 4 }],
    });
    expect(p.stages[1]!.parts).toHaveLength(4);
    // The Models and Plan views' costing, through the core's handlers.
    const core = modelHandlers(mkdtempSync(join(dir, 'data-')), new EventBus());
    const costs = await core['models/inspect']({ name: 'vgg16', tensors: false });
    expect(costs.totals.params).toBe(138_357_544 + 6);
    const made = await core['plan/make']({
      model: 'vgg16',
      farm: { kind: 'virtual', spec: FARM },
      objective: 'ips',
      top: 1,
      presets: true,
    });
    expect(made).toBeTruthy();
    expect(generated).not.toHaveBeenCalled();
  });

  it('saving makes each weight as it writes it (the spy sees them)', () => {
    const m = buildZooModel('tiny-cnn');
    const weights = m.proto.graph!.initializer!.filter((t) => t.source).length;
    saveModel(m, join(dir, 'tiny.onnx'));
    expect(generated).toHaveBeenCalledTimes(weights);
  });
});

// One 190 MB file for the tests that read a file: alexnet-mc (seed 1) saved from the zoo.
const zoo = buildZooModel('alexnet-mc', { seed: 1 });
const file = join(dir, 'clean', 'alexnet-mc.onnx');
mkdirSync(dirname(file));
const saved = saveModel(zoo, file);

describe('partitions are byte-identical to before weights became lazy', () => {
  // sha256s of the files written by 4f7bd29, when the zoo made every weight up front and a file
  // was read whole.
  const alexnet = [
    '00604fde046da32118ecafec7cf78b4115dadd367c7d5e04f3268e32a439b8e8',
    'aec51514b6458b9cb722227739afeaf3f4139fecf68e5a4eeac50730e441ed97',
    '3b220a91e52fd3e6f56cdb40fe499173a2d75b99987e472132fe0f905d7dee1a',
    'b82cbe618b557fd5ebe1a9bf550d41cd9bd20794b5e3a14cc7e735d112139865',
    'e4d5ae80736f830592f01c98a70a083bdd427aa01da3a46bef95e84bde00b0a3',
  ];
  const split = { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 3 }] };

  it('zoo models: tiny-cnn, and alexnet-mc with fc_1 split in three', async () => {
    const tiny = buildZooModel('tiny-cnn');
    expect(sha256Hex(encodeModel(tiny))).toBe(
      'b1b7bdbf8ed0e689033019473cb3774396071511df01be22911b50a22f3f4c50',
    );
    expect(
      await partHashes(tiny, { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 2 }] }),
    ).toEqual([
      'deac48e5f0853e3dee6e6b6cd811dc3f5846ade26e069165a5ba9be730bb34a4',
      'f67cc8940fa0861f26c844b9e447fafdb5432cf14c1db93d726a8e4d46ea542e',
      '38a02cf4a6b06e24ebbe8628c2314d632f71361752b1ef6122bf236acc106364',
      'd61d83079178f7f5ea10f8f56f3dd88b8a136a63a6d724b0cea17d79f566f57b',
    ]);
    expect(saved.sha256).toBe('4d9ae19de9db2f7b6af9619fb045711d115c89cedb8522ac3d49156721dbb94c');
    expect(await partHashes(zoo, split)).toEqual(alexnet);
  });

  it('the same model partitioned from its file, read at offsets', async () => {
    expect(await partHashes(loadModel(file), split)).toEqual(alexnet);
  });

  it('a tf2onnx MatMul split along its columns (slices that are not contiguous), from a file', async () => {
    const tf = join(dir, 'tf.onnx');
    saveModel(tf2onnxCnn(), tf);
    expect(
      await partHashes(loadModel(tf), {
        cuts: ['sequential/flatten/Reshape:0', 'sequential/dense/Relu:0'],
        splits: [{ stage: 1, parts: 3 }],
      }),
    ).toEqual([
      '46806cea18d0c654f06eb162356f07cc2c0fb2c95396efed70929dbaa1440f71',
      '214cf23aaf6c5dace4ac6227fff7ee8f4cfe6278e685a42a64243bcfd4fe8acd',
      '0dcee4b31822b7fb0f70f79b64297fcc27f624f167a13feb9ff65105b6ef178d',
      '1771fb15e405803e56624edf4014ef4a0828d34ac7354f3d119b848bc26e4f14',
      'ea732bf0b24fbda0c533800b9c3feb11238b708f9ce1de162771511c5cc35f6e',
    ]);
  });
});

describe("a file's weights are read only when needed", () => {
  it('loading, costing and planning read a few KB of a 190 MB file', () => {
    const before = bytesRead();
    const inspected = inspectModel(loadModel(file));
    const plan = planOf(file);
    const read = bytesRead() - before;
    expect(saved.bytes).toBeGreaterThan(150e6);
    expect(read).toBeLessThan(1e6);
    expect(inspected).toEqual(inspectModel(zoo));
    expect(plan).toEqual(planOf('alexnet-mc'));
  });

  it('weights overwritten with garbage cost and plan the same', () => {
    // Named alexnet-mc.onnx too, as plans carry the model's name.
    const garbled = join(dir, 'garbled', 'alexnet-mc.onnx');
    mkdirSync(dirname(garbled));
    const bytes = readFileSync(file);
    const weights = zoo.proto.graph!.initializer!.filter((x) => x.source);
    for (const t of weights) {
      const at = offsetIn(bytes, t);
      bytes.fill(0xff, at, at + tensorBytes(t).byteLength); // NaN in every float
    }
    writeFileSync(garbled, bytes);
    const m = loadModel(garbled);
    expect(inspectModel(m)).toEqual(inspectModel(zoo));
    expect(planOf(garbled)).toEqual(planOf(file));
    // The garbage is where the weights are read from when they are needed.
    const fc3 = m.proto.graph!.initializer!.find((t) => t.name === 'fc3.weight')!;
    expect(tensorBytes(fc3).every((b) => b === 0xff)).toBe(true);
  });
});

describe('external data, changed files, float16, int8 and values written as numbers', () => {
  it('an external-data file is checked at load and read only when a model is written', () => {
    const ext = join(dir, 'ext', 'tiny.onnx');
    mkdirSync(dirname(ext));
    const tiny = buildZooModel('tiny-cnn', { seed: 3 });
    saveModel(tiny, ext, { externalData: true });
    const m = loadModel(ext);
    // The data file gone: costing never notices; writing says which file it needs, leaves nothing.
    renameSync(`${ext}.data`, `${ext}.away`);
    expect(inspectModel(m)).toEqual(inspectModel(tiny));
    expect(() => saveModel(m, join(dir, 'ext', 'copy.onnx'))).toThrow(
      /tiny\.onnx\.data: cannot read the weights \(ENOENT\); load the model again/,
    );
    expect(readdirSync(dirname(ext)).sort()).toEqual(['tiny.onnx', 'tiny.onnx.away']);
    renameSync(`${ext}.away`, `${ext}.data`);
    expect(sha256Hex(encodeModel(m))).toBe(sha256Hex(encodeModel(tiny)));
  });

  it('a file changed since it was read is refused, never mixed into a part', () => {
    const path = join(dir, 'changing.onnx');
    saveModel(buildZooModel('tiny-cnn', { seed: 1 }), path);
    const m = loadModel(path);
    inspectModel(m);
    // Same structure and size, other weights.
    writeFileSync(path, encodeModel(buildZooModel('tiny-cnn', { seed: 2 })));
    expect(() => encodeModel(m)).toThrow(ModelInvalidError);
    expect(() => encodeModel(m)).toThrow(
      /changing\.onnx: changed on disk since the model was read/,
    );
  });

  it('saving over the file a model was read from writes the same bytes', () => {
    const path = join(dir, 'inplace.onnx');
    const first = saveModel(buildZooModel('tiny-cnn', { seed: 4 }), path);
    const again = saveModel(loadModel(path), path);
    expect(again.sha256).toBe(first.sha256);
    expect(sha256Hex(readFileSync(path))).toBe(first.sha256);
  });

  it('float16 and int8 weights are located, not read; values written as numbers are read at load', () => {
    const raw = (n: number, seed: number) =>
      Uint8Array.from(seededUniform(n, 1, seed, 'raw'), (v) => Math.floor((v + 1) * 127.9));
    const w16 = makeTensor(
      'w16',
      'float16',
      [64, 128],
      raw(64 * 128 * 2, 1).map((b) => b & 0x3f),
    );
    const w8 = makeTensor('w8', 'int8', [64, 128], raw(64 * 128, 2));
    const bias = {
      name: 'b',
      dataType: 1,
      dims: [128],
      floatData: [...seededUniform(128, 1, 3, 'b')],
    };
    const halfBits = Array.from({ length: 128 }, (_, i) => 0x3c00 + i); // 1.0, 1.0009765625, ...
    const half = { name: 'h', dataType: 10, dims: [128], int32Data: halfBits };
    const g = new GraphWriter();
    g.inits.push(w16, w8, bias, half);
    g.node('Cast', ['w16'], ['f16'], { to: 1 }, 'cast16');
    g.node('Cast', ['w8'], ['f8'], { to: 1 }, 'cast8');
    g.node('MatMul', ['x', 'f16'], ['y16'], {}, 'mm16');
    g.node('MatMul', ['x', 'f8'], ['y8'], {}, 'mm8');
    g.node('Add', ['y16', 'y8'], ['sum'], {}, 'add');
    g.node('Add', ['sum', 'b'], ['biased'], {}, 'bias');
    g.node('Cast', ['h'], ['hf'], { to: 1 }, 'casth');
    g.node('Mul', ['biased', 'hf'], ['y'], {}, 'scale');
    const built = g.model({
      name: 'mixed',
      irVersion: 8,
      opset: 13,
      input: { name: 'x', shape: [1, 64] },
      output: { name: 'y', shape: [1, 128] },
    });
    const path = join(dir, 'mixed.onnx');
    writeFileSync(path, encodeModel(built));
    const before = bytesRead();
    const m = loadModel(path);
    const costs = inspectModel(m);
    const read = bytesRead() - before;
    expect(read).toBeLessThan(8 * 1024); // the two weights alone are 24 KB
    expect(costs).toEqual(inspectModel(loadModel(readFileSync(path), { name: 'mixed' })));
    // A weight's Cast is placed right before the layer that reads it.
    expect(costs.layers.map((l) => l.op)).toEqual([
      'Cast',
      'MatMul',
      'Cast',
      'MatMul',
      'Add',
      'Add',
      'Mul',
    ]);
    const byName = new Map(m.proto.graph!.initializer!.map((t) => [t.name, t]));
    expect(byName.get('w16')!.source && byName.get('w8')!.source).toBeTruthy();
    expect(sha256Hex(tensorBytes(byName.get('w16')!))).toBe(sha256Hex(tensorBytes(w16)));
    expect(sha256Hex(tensorBytes(byName.get('w8')!))).toBe(sha256Hex(tensorBytes(w8)));
    expect(tensorValues(byName.get('b')!)).toEqual(bias.floatData.map((v) => Math.fround(v)));
    expect(tensorValues(byName.get('h')!).slice(0, 2)).toEqual([1, 1 + 2 ** -10]);
  });
});

describe('weights read in pieces', () => {
  /** Every window of the tensor, read on its own, is that window of the whole. */
  function readsInPieces(t: TensorProto): void {
    const whole = Buffer.from(tensorBytes(t));
    const n = whole.byteLength;
    for (const [s, e] of [
      [0, n],
      [0, 1],
      [3, Math.min(n, 4099)],
      [n - 7, n],
      [Math.floor(n / 3) + 1, Math.floor((2 * n) / 3) + 3],
    ] as const) {
      expect(
        Buffer.from(tensorBytes(t, s, e)).equals(whole.subarray(s, e)),
        `${t.name} ${s}..${e}`,
      ).toBe(true);
    }
  }

  it("a zoo tensor, a contiguous slice of it and a file's column slices: any window is the same bytes", () => {
    const m = buildZooModel('tiny-cnn', { seed: 5 });
    for (const t of m.proto.graph!.initializer!) readsInPieces(t);
    const p = buildPartition(m, { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 3 }] });
    for (const part of p.stages[1]!.parts)
      for (const t of part.proto.graph!.initializer!) readsInPieces(t);
    const tf = join(dir, 'tf-pieces.onnx');
    saveModel(tf2onnxCnn(), tf);
    const cols = buildPartition(loadModel(tf), {
      cuts: ['sequential/flatten/Reshape:0', 'sequential/dense/Relu:0'],
      splits: [{ stage: 1, parts: 3 }],
    });
    for (const part of cols.stages[1]!.parts)
      for (const t of part.proto.graph!.initializer!) readsInPieces(t);
  });
});
