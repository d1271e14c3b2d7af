// Issue 9.4, property-based fuzzing of the ONNX reader (load + analyse, what `mchair model
// inspect` and partitioning run on a user's file): random bytes, mutated and truncated valid
// models, generated graphs with absurd dimensions, dangling edges and cycles, and external-data
// locations that try to leave the model's folder. Each case loads or gives a one-line AppError.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyEdits, byteEdit } from './byte-edits';
import { afterAll, describe, expect, it } from 'vitest';
import {
  analyseModel,
  encodeModel,
  listCuts,
  loadModel,
  type OnnxModel,
} from '../../src-main/model/index';
import { onnx, tensorBytes, type TensorProto } from '../../src-main/model/onnx';
import { GraphWriter } from '../unit/model/exporters';
import { FUZZ_RUNS, refusedOrOk } from './budget';

const dir = mkdtempSync(join(tmpdir(), 'mchair-fuzz-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything the toolkit does with a model file before it is trusted. */
function readModel(src: string | Uint8Array): void {
  const m = loadModel(src, { name: 'fuzz' });
  analyseModel(m);
  listCuts(m);
}

/** A small CNN (conv, pool, PyTorch-style computed flatten, gemm, softmax) to mutate: ~3 KB. */
function smallCnn(): OnnxModel {
  const g = new GraphWriter(5);
  g.weight('w1', [4, 3, 3, 3]);
  g.values('b1', [4], -0.1, 0.1);
  g.node(
    'Conv',
    ['x', 'w1', 'b1'],
    ['c1'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
    'conv',
  );
  g.node('Relu', ['c1'], ['r1'], {}, 'relu');
  g.node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.node('Shape', ['p1'], ['s'], {}, 'shape');
  g.constant('i0', 'int64', [], [0]);
  g.node('Gather', ['s', 'i0'], ['n'], { axis: 0 }, 'gather');
  g.node('Unsqueeze', ['n'], ['n1'], { axes: [0] }, 'unsq');
  g.constant('m1', 'int64', [1], [-1]);
  g.node('Concat', ['n1', 'm1'], ['shp'], { axis: 0 }, 'cat');
  g.node('Reshape', ['p1', 'shp'], ['flat'], {}, 'flatten');
  g.weight('w2', [10, 64]);
  g.values('b2', [10], -0.1, 0.1);
  g.node('Gemm', ['flat', 'w2', 'b2'], ['logits'], { transB: 1 }, 'fc');
  g.node('Softmax', ['logits'], ['y'], { axis: 1 }, 'softmax');
  return g.model({
    name: 'small',
    irVersion: 6,
    opset: 11,
    input: { name: 'x', shape: [1, 3, 8, 8] },
    output: { name: 'y', shape: [1, 10] },
  });
}

const base = encodeModel(smallCnn());

describe('the ONNX reader under fuzzing', () => {
  it('the base model loads (so the mutations start from a valid file)', () => {
    expect(refusedOrOk(() => readModel(base))).toBeNull();
    expect(base.byteLength).toBeLessThan(8000);
  });

  it('random bytes: loaded or refused with one line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        refusedOrOk(() => readModel(bytes));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('mutated and truncated valid models: loaded or refused with one line', () => {
    const edit = byteEdit({
      maxInsert: 8,
      maxDelete: 16,
      // A varint length pushed to its maximum: what an absurd size looks like on the wire.
      varints: [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
    });
    fc.assert(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (edits, truncate) => {
          let bytes = applyEdits(base, edits);
          if (truncate !== undefined) bytes = bytes.subarray(0, truncate % (bytes.length + 1));
          refusedOrOk(() => readModel(bytes));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('generated graphs (absurd dimensions, lying initializers, dangling edges, cycles): loaded or refused with one line', () => {
    const dim = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 16 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          0,
          -1,
          -5,
          2 ** 31,
          2 ** 31 + 1,
          2 ** 40,
          4_000_000_000,
          Number.MAX_SAFE_INTEGER,
        ),
      },
    );
    const op = fc.constantFrom(
      'Relu',
      'Add',
      'Conv',
      'MaxPool',
      'Gemm',
      'Flatten',
      'Reshape',
      'Concat',
      'Softmax',
      'MatMul',
      'GlobalAveragePool',
      'Einsum',
    );
    const nodeArb = fc.record({
      op,
      inputs: fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 3 }),
      output: fc.nat({ max: 9 }),
    });
    const initArb = fc.record({
      tensor: fc.nat({ max: 9 }),
      dims: fc.array(dim, { maxLength: 4 }),
      values: fc.nat({ max: 64 }),
    });
    fc.assert(
      fc.property(
        fc.array(dim, { minLength: 1, maxLength: 5 }),
        fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
        fc.array(initArb, { maxLength: 3 }),
        fc.nat({ max: 9 }),
        (inputShape, nodes, inits, out) => {
          const g = new GraphWriter(1);
          // Tensor t0 is the input; node outputs may feed earlier nodes (cycles) or nothing.
          for (const [i, n] of nodes.entries())
            g.node(
              n.op,
              n.inputs.map((k) => `t${k}`),
              [`t${n.output}`],
              {},
              `n${i}`,
            );
          for (const t of inits) {
            g.inits.push({
              name: `t${t.tensor}`,
              dataType: onnx.TensorProto.DataType.FLOAT,
              dims: t.dims,
              rawData: new Uint8Array(t.values * 4),
            } satisfies TensorProto);
          }
          const m = g.model({
            name: 'gen',
            irVersion: 8,
            opset: 13,
            input: { name: 't0', shape: inputShape },
            output: { name: `t${out}` },
          });
          refusedOrOk(() => readModel(encodeModel(m)));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('external-data locations: never read outside the model folder, loaded or refused with one line', () => {
    // model/ holds w.bin (bytes 0x11); outside.bin (bytes 0xEE) sits next to the folder and
    // model/link.bin points at it. Any byte 0xEE in a loaded tensor means the reader left.
    const modelDir = join(dir, 'model');
    mkdirSync(join(modelDir, 'sub'), { recursive: true });
    writeFileSync(join(modelDir, 'w.bin'), Buffer.alloc(256, 0x11));
    writeFileSync(join(dir, 'outside.bin'), Buffer.alloc(256, 0xee));
    symlinkSync(join(dir, 'outside.bin'), join(modelDir, 'link.bin'));
    symlinkSync('..', join(modelDir, 'sub', 'up'));
    const location = fc.oneof(
      fc.constantFrom(
        'w.bin',
        '../outside.bin',
        'link.bin',
        'sub/../w.bin',
        'sub/../../outside.bin',
        'sub/up/w.bin',
        'sub/up/../outside.bin',
        `${dir}/outside.bin`,
        '/etc/passwd',
        '',
        '.',
        '..',
        'sub',
        'nope.bin',
        'w.bin\0',
        '%2e%2e/outside.bin',
        '..\\outside.bin',
      ),
      fc.string({ maxLength: 24 }),
    );
    const number = fc.oneof(
      fc.nat({ max: 300 }).map(String),
      fc.constantFrom('-1', '1e309', 'NaN', '0x10', '', ' 4', '9007199254740993', 'abc'),
    );
    const file = join(modelDir, 'model.onnx');
    fc.assert(
      fc.property(
        location,
        fc.option(number, { nil: undefined }),
        fc.option(number, { nil: undefined }),
        fc.integer({ min: 0, max: 80 }),
        (loc, offset, length, count) => {
          const g = new GraphWriter(1);
          g.node('Add', ['x', 'w'], ['y'], {}, 'add');
          const m = g.model({
            name: 'ext',
            irVersion: 8,
            opset: 13,
            input: { name: 'x', shape: [count] },
            output: { name: 'y', shape: [count] },
          });
          m.proto.graph!.initializer = [
            {
              name: 'w',
              dataType: onnx.TensorProto.DataType.FLOAT,
              dims: [count],
              dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
              externalData: [
                { key: 'location', value: loc },
                ...(offset !== undefined ? [{ key: 'offset', value: offset }] : []),
                ...(length !== undefined ? [{ key: 'length', value: length }] : []),
              ],
            },
          ];
          writeFileSync(file, encodeModel(m));
          let raw: Uint8Array | null = null;
          const refused = refusedOrOk(() => {
            const loaded = loadModel(file);
            analyseModel(loaded);
            raw = tensorBytes(loaded.proto.graph!.initializer![0]!);
          });
          if (raw) expect(Buffer.from(raw).includes(0xee)).toBe(false);
          if (/outside|\/etc\/passwd|^\.\.$/.test(loc) && !loc.startsWith('sub/../w'))
            expect(refused, loc).not.toBeNull();
        },
      ),
      // Each case writes and reads a file: fewer cases, over a small space of locations.
      { numRuns: FUZZ_RUNS / 5 },
    );
  });
});
