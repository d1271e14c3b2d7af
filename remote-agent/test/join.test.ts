import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JoinError, Joiner } from '../src/protocol/join';
import type { StageSpec, WireTensor } from '../src/protocol/schema';
import { concatTensors } from '../src/protocol/tensor';

const split = (parts: number, width: number[]): StageSpec => ({
  id: 's1',
  concat: { output: 'fc1', axis: 1 },
  parts: Array.from({ length: parts }, (_, p) => ({
    file: `s1.p${p}.onnx`,
    sha256: '0'.repeat(64),
    inputs: ['flat'],
    outputs: [`fc1.p${p}`],
    replicas: [],
  })).map((x, p) => ({ ...x, outputs: [`fc1.p${p}`], width: width[p] })),
});

/** Part p of frame f: float32 [1, width] filled with f*100 + p (so a mix-up is visible). */
function half(frame: number, p: number, width: number): WireTensor {
  const a = new Float32Array(width).fill(frame * 100 + p);
  return { name: `fc1.p${p}`, dtype: 'float32', shape: [1, width], bytes: Buffer.from(a.buffer) };
}

describe('joining split stages by frame id', () => {
  it('never mixes frames, whatever order the parts arrive in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (parts, frames, seed) => {
          const widths = Array.from({ length: parts }, (_, p) => 2 + p);
          const joiner = new Joiner(split(parts, widths), 1000);
          const arrivals = [];
          for (let f = 0; f < frames; f++) for (let p = 0; p < parts; p++) arrivals.push({ f, p });
          // Deterministic shuffle from the seed: parts and frames overtake each other.
          let x = seed || 1;
          for (let i = arrivals.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) & 0x7fffffff;
            const j = x % (i + 1);
            [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
          }
          const done = new Map<number, Float32Array>();
          for (const { f, p } of arrivals) {
            const out = joiner.add({ frameId: f, fromPart: p, tensors: [half(f, p, widths[p]!)] });
            if (out) {
              const t = out[0]!;
              expect(t.name).toBe('fc1');
              done.set(
                f,
                new Float32Array(
                  t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.length),
                ),
              );
            }
          }
          expect(done.size).toBe(frames);
          expect(joiner.waiting).toBe(0);
          for (const [f, v] of done) {
            const want = widths.flatMap((w, p) => Array<number>(w).fill(f * 100 + p));
            expect([...v]).toEqual(want);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a part that arrives twice and bounds the frames waiting', () => {
    const joiner = new Joiner(split(2, [2, 2]), 2);
    expect(joiner.add({ frameId: 1, fromPart: 0, tensors: [half(1, 0, 2)] })).toBeNull();
    expect(() => joiner.add({ frameId: 1, fromPart: 0, tensors: [half(1, 0, 2)] })).toThrow(
      JoinError,
    );
    expect(joiner.add({ frameId: 2, fromPart: 1, tensors: [half(2, 1, 2)] })).toBeNull();
    expect(() => joiner.add({ frameId: 3, fromPart: 1, tensors: [half(3, 1, 2)] })).toThrow(
      /more than 2 frames/,
    );
    expect(() => joiner.add({ frameId: 4, fromPart: 2, tensors: [half(4, 0, 2)] })).toThrow(
      /no part 2/,
    );
  });
});

describe('concatTensors', () => {
  it('joins along an inner axis, interleaving rows', () => {
    const a: WireTensor = {
      name: 'a',
      dtype: 'uint8',
      shape: [2, 2],
      bytes: Buffer.from([1, 2, 3, 4]),
    };
    const b: WireTensor = { name: 'b', dtype: 'uint8', shape: [2, 1], bytes: Buffer.from([9, 8]) };
    const c = concatTensors('c', [a, b], 1);
    expect(c.shape).toEqual([2, 3]);
    expect([...c.bytes]).toEqual([1, 2, 9, 3, 4, 8]);
    expect(() => concatTensors('c', [a, { ...b, shape: [1, 2] }], 1)).toThrow(
      /differ in dimension 0/,
    );
    expect(() => concatTensors('c', [a, { ...b, bytes: Buffer.from([1]) }], 1)).toThrow(/bytes/);
  });
});
