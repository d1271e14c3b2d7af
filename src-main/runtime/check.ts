// `--check`: runs the whole (uncut) model in-process with onnxruntime-node on the same input and
// compares it with what the farm returned, so a wrong cut, a bad join or a mixed-up frame shows
// as a difference instead of passing silently.
import * as ort from 'onnxruntime-node';
import type { WireTensor } from '../../remote-agent/src/protocol/index';
import { type RankedClass, topK } from '../model/labels';
import { halfToFloat } from '../model/float16';

/** The output's values as numbers (float16 words decoded). */
function asNumbers(t: { dtype: string; data: ArrayLike<number> }, name: string): ArrayLike<number> {
  if (t.dtype === 'float32') return t.data;
  if (t.dtype === 'float16') return Array.from(t.data, halfToFloat);
  throw new Error(`cannot compare ${t.dtype} output "${name}"`);
}

/** A float output's values (float32 or float16 on the wire). */
function outputValues(t: WireTensor): ArrayLike<number> {
  return asNumbers({ dtype: t.dtype, data: elements(t) }, t.name);
}

const ARRAYS = { uint8: Uint8Array, float32: Float32Array, float16: Uint16Array } as const;

/** A wire tensor's elements in a typed array of its own (aligned, whatever the socket gave). */
function elements(t: WireTensor): Uint8Array | Float32Array | Uint16Array {
  const Arr = ARRAYS[t.dtype as keyof typeof ARRAYS];
  if (!Arr) throw new Error(`cannot feed a ${t.dtype} input "${t.name}" to the whole model`);
  const copy = new Uint8Array(t.bytes);
  return new Arr(copy.buffer, 0, copy.length / Arr.BYTES_PER_ELEMENT);
}

export class ResultChecker {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly output: string,
  ) {}

  static async create(wholeModel: Uint8Array, output: string, threads = 1): Promise<ResultChecker> {
    const session = await ort.InferenceSession.create(wholeModel, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    return new ResultChecker(session, output);
  }

  /** The largest absolute difference between the farm's output and the whole model's. */
  async maxAbsDiff(input: WireTensor, farmOutputs: readonly WireTensor[]): Promise<number> {
    const got = farmOutputs.find((t) => t.name === this.output);
    if (!got)
      throw new Error(
        `the farm returned no "${this.output}" (it sent ${farmOutputs.map((t) => t.name).join(', ')})`,
      );
    const feed = new ort.Tensor(input.dtype as 'uint8', elements(input) as Uint8Array, input.shape);
    const out = await this.session.run({ [input.name]: feed });
    const want = out[this.output];
    if (!want) throw new Error(`the whole model has no output "${this.output}"`);
    const a = outputValues(got);
    const b = asNumbers({ dtype: want.type, data: want.data as Float32Array }, this.output);
    if (a.length !== b.length) return Number.POSITIVE_INFINITY;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs((a[i] as number) - (b[i] as number));
      // NaN must count as a mismatch, not vanish in a comparison.
      if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    }
    return max;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The k most likely classes with their probabilities, best first (the live preview). Wrapped and
 * zoo models end in probabilities already; an older import may end in logits, which get a softmax
 * here. `labels` name them (a class past its end is named by its number).
 */
export function rankedClasses(
  t: WireTensor,
  k: number,
  labels: readonly string[] = [],
): RankedClass[] {
  const a = Float32Array.from(outputValues(t));
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let total = 0;
  for (const v of a) {
    if (v > max) max = v;
    if (v < min) min = v;
    total += v;
  }
  if (min >= 0 && max <= 1 && Math.abs(total - 1) < 1e-3) return topK(a, k, labels);
  let sum = 0;
  for (const v of a) sum += Math.exp(v - max);
  return topK(a, k, labels).map((c) => ({
    ...c,
    probability: Math.exp(c.probability - max) / sum,
  }));
}
