// Where frames come from. Synthetic frames are a pure function of (seed, frame id), so a checker
// can regenerate any frame instead of keeping every input in memory.
import type { WireTensor } from '../../remote-agent/src/protocol/schema';
import { elementCount } from '../../remote-agent/src/protocol/tensor';

export interface FrameSource {
  readonly name: string;
  /** Input tensor name, dtype and shape (from the manifest). */
  readonly input: { name: string; dtype: string; shape: number[] };
  frame(id: number): Promise<WireTensor>;
  /**
   * Live sources (the app's camera): resolves once the next frame exists, so a frame's latency
   * starts when it is handed over, not while the feed waits for the camera.
   */
  ready?(): Promise<void>;
}

/** Uniform random uint8 pixels; xorshift32 seeded by frame id, so frame i is always the same. */
export function syntheticSource(
  input: { name: string; dtype: string; shape: number[] },
  seed = 1,
): FrameSource {
  if (input.dtype !== 'uint8')
    throw new Error(`synthetic frames are uint8; the model wants ${input.dtype}`);
  const n = elementCount(input.shape);
  return {
    name: 'synthetic',
    input,
    frame: async (id) => {
      const bytes = Buffer.allocUnsafe(n);
      let x = (Math.imul(id + 1, 0x9e3779b1) ^ seed) >>> 0 || 1;
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        bytes[i] = x & 0xff;
      }
      return { name: input.name, dtype: input.dtype, shape: [...input.shape], bytes };
    },
  };
}
