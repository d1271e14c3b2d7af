// Where frames come from. Synthetic frames are a pure function of (seed, frame id), so a checker
// can regenerate any frame instead of keeping every input in memory.
import { elementCount, type WireTensor } from '../../remote-agent/src/protocol/index';
import { InputError } from '../contract/errors';
import { floatToHalf } from '../model/float16';

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

/**
 * Each dtype's bytes for a pixel value 0-255: a model that takes float16 or float32 pixels (the
 * zoo's fp16 SqueezeNet: BGR 0-255) gets the same values in its own type.
 */
const PIXEL_ENCODERS: Record<
  string,
  { size: number; write(b: Buffer, i: number, v: number): void }
> = {
  uint8: { size: 1, write: (b, i, v) => void (b[i] = v) },
  float32: { size: 4, write: (b, i, v) => void b.writeFloatLE(v, i * 4) },
  float16: { size: 2, write: (b, i, v) => void b.writeUInt16LE(HALF_PIXELS[v]!, i * 2) },
};
const HALF_PIXELS = Uint16Array.from({ length: 256 }, (_, v) => floatToHalf(v));

/**
 * Uniform random pixels (0-255, in the model's input type); xorshift32 seeded by frame id, so
 * frame i is always the same.
 */
export function syntheticSource(
  input: { name: string; dtype: string; shape: number[] },
  seed = 1,
): FrameSource {
  const enc = PIXEL_ENCODERS[input.dtype];
  if (!enc)
    throw new InputError(
      `synthetic frames are pixels (${Object.keys(PIXEL_ENCODERS).join(', ')}); the model wants ${input.dtype}`,
    );
  const n = elementCount(input.shape);
  return {
    name: 'synthetic',
    input,
    frame: async (id) => {
      const bytes = Buffer.allocUnsafe(n * enc.size);
      let x = (Math.imul(id + 1, 0x9e3779b1) ^ seed) >>> 0 || 1;
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        enc.write(bytes, i, x & 0xff);
      }
      return { name: input.name, dtype: input.dtype, shape: [...input.shape], bytes };
    },
  };
}
