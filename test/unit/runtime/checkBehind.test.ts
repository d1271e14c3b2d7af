// The --check queue behind a run (runtime/checkBehind.ts) with the real whole-model check
// (onnxruntime on tiny-cnn): verdicts in frame order, a wrong result counted as mismatched, the
// feed held back while the queue is over its budget and let go as checks finish, and a failed
// check stopping both the feed and the drain.
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZooModel, encodeModel } from '../../../src-main/model/index';
import { ResultChecker } from '../../../src-main/runtime/check';
import { CheckBehind } from '../../../src-main/runtime/checkBehind';
import { syntheticSource, type FrameSource } from '../../../src-main/runtime/source';
import type { WireTensor } from '../../../remote-agent/src/protocol/schema';

const input = { name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3] };
const source = syntheticSource(input);
const frameBytes = 224 * 224 * 3;
let whole: ort.InferenceSession;
let checker: ResultChecker;
let output: string;

/** What a correct farm answers for frame `id`: the whole model's output. */
async function answer(id: number): Promise<WireTensor[]> {
  const f = await source.frame(id);
  const out = await whole.run({ [f.name]: new ort.Tensor('uint8', f.bytes, f.shape) });
  const t = out[output] as ort.Tensor;
  const data = t.data as Float32Array;
  return [
    {
      name: output,
      dtype: 'float32',
      shape: [...t.dims],
      bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    },
  ];
}

/** Whether a promise has settled by the time the event loop has turned a few times. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

beforeAll(async () => {
  const bytes = encodeModel(buildZooModel('tiny-cnn', { seed: 1 }));
  whole = await ort.InferenceSession.create(bytes);
  output = whole.outputNames[0] as string;
  checker = await ResultChecker.create(bytes, output);
});

afterAll(async () => {
  await checker.close();
  await whole.release();
});

describe('CheckBehind', () => {
  it('checks in frame order behind the results and counts a wrong one as mismatched', async () => {
    const seen: Array<[number, number]> = [];
    const checks = new CheckBehind(checker, source, 1e-5, (id, d) => seen.push([id, d]));
    const answers = await Promise.all([0, 1, 2, 3].map(answer));
    const wrong = answers[2]![0]!.bytes;
    const f = new Float32Array(wrong.buffer, wrong.byteOffset, 4);
    f[0] = (f[0] as number) + 0.5;
    answers.forEach((a, i) => checks.add(i, a));
    // add() returned at once: nothing is checked yet.
    expect(checks.checked).toBe(0);
    const verdict = await checks.drain();
    expect(seen.map(([id]) => id)).toEqual([0, 1, 2, 3]);
    expect(seen.filter(([id]) => id !== 2).every(([, d]) => d < 1e-5)).toBe(true);
    expect(seen[2]![1]).toBeGreaterThan(0.4);
    expect(verdict.mismatched).toBe(1);
    expect(verdict.maxAbsDiff).toBeGreaterThan(0.4);
    expect(checks.checked).toBe(4);
  });

  it('holds the feed while the queue is over its budget and lets it go as checks finish', async () => {
    // A budget of two frames: the third queued result fills it.
    const checks = new CheckBehind(checker, source, 1e-5, () => undefined, 2 * frameBytes + 1);
    const fed = checks.gate(source);
    await expect(settled(fed.ready!())).resolves.toBe(true);
    const answers = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(answer));
    answers.forEach((a, i) => checks.add(i, a));
    const waiting = fed.ready!();
    expect(await settled(waiting)).toBe(false);
    await waiting;
    // Room again means at most one result (input and output) is left waiting: 7 of 8 checked.
    expect(checks.checked).toBeGreaterThanOrEqual(7);
    await checks.drain();
    expect(checks.checked).toBe(8);
    // The gated source gives the same frames as the one behind it.
    expect((await fed.frame(5)).bytes).toEqual((await source.frame(5)).bytes);
  });

  it('weighs the backlog in bytes: a float32 input counts four bytes an element', async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((r) => (release = r));
    const floats: FrameSource = {
      name: 'float32 frames, held',
      input: { name: 'x', dtype: 'float32', shape: [1, 1000] },
      frame: async (id) => {
        await held;
        return source.frame(id);
      },
    };
    // 3,000 bytes: one frame's 4,000-byte input is over it (its 1,000 elements would not be).
    const checks = new CheckBehind(checker, floats, 1e-5, () => undefined, 3000);
    checks.add(0, []);
    expect(await settled(checks.room())).toBe(false);
    release();
    await expect(checks.drain()).rejects.toThrow();
  });

  it('a failed check stops the feed and fails the drain with its reason', async () => {
    const checks = new CheckBehind(checker, source, 1e-5, () => undefined, frameBytes);
    checks.add(0, [{ name: 'other', dtype: 'float32', shape: [1], bytes: Buffer.alloc(4) }]);
    checks.add(1, await answer(1));
    await expect(checks.gate(source).ready!()).rejects.toThrow(/returned no/);
    await expect(checks.drain()).rejects.toThrow(/returned no/);
    expect(checks.checked).toBe(0);
  });

  it('close() drops what is queued and waits for the check under way', async () => {
    const seen: number[] = [];
    const checks = new CheckBehind(checker, source, 1e-5, (id) => seen.push(id), frameBytes);
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map(answer));
    answers.forEach((a, i) => checks.add(i, a));
    const fed = checks.gate(source).ready!();
    await checks.close();
    // The check under way finished inside close() (the checker may be released after it) and
    // was not reported; nothing after it ran, and the held feed was let go.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
    expect(checks.checked).toBe(0);
    await expect(fed).resolves.toBeUndefined();
  });
});
