// Frames from a folder of images (JPEG, PNG): decoded, resized to the model's input (bilinear,
// whole image, no crop) as uint8 HWC RGB, and cycled in file-name order when the run asks for
// more frames than the folder has. Frame i is always the same image, so --check can regenerate it.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../contract/index';
import type { FrameSource } from './source';

const DECODERS: Record<string, (b: Buffer) => { width: number; height: number; data: Uint8Array }> =
  {
    '.jpg': (b) => jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 }),
    '.jpeg': (b) =>
      jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 }),
    '.png': (b) => PNG.sync.read(b),
  };

/** Bilinear resize of RGBA pixels to an RGB uint8 HWC buffer of h x w. */
export function resizeRgbaToRgb(
  src: { width: number; height: number; data: Uint8Array },
  h: number,
  w: number,
): Buffer {
  const out = Buffer.allocUnsafe(h * w * 3);
  const sx = src.width / w;
  const sy = src.height / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(src.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 4 + c] as number;
        const top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx;
        const bottom = p(y1, x0) * (1 - wx) + p(y1, x1) * wx;
        out[(y * w + x) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}

export async function imageFolderSource(
  dir: string,
  input: { name: string; dtype: string; shape: number[] },
): Promise<FrameSource> {
  const [n, h, w, c] = input.shape;
  if (input.dtype !== 'uint8' || input.shape.length !== 4 || n !== 1 || c !== 3) {
    throw new InputError(
      `--images: the model wants ${input.dtype} [${input.shape.join(',')}]; image frames are uint8 [1,H,W,3]`,
    );
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => extname(f).toLowerCase() in DECODERS).sort();
  } catch {
    throw new InputError(`--images: cannot read the folder ${dir}`);
  }
  if (names.length === 0) throw new InputError(`--images: ${dir} has no .jpg, .jpeg or .png file`);
  // Decoded frames are kept for small folders; a large folder is decoded again when revisited.
  const cache = new Map<number, Buffer>();
  const CACHE_FRAMES = 256;
  return {
    name: `images:${dir}`,
    input,
    frame: async (id) => {
      const k = id % names.length;
      let bytes = cache.get(k);
      if (!bytes) {
        const file = names[k] as string;
        let img;
        try {
          img = (
            DECODERS[extname(file).toLowerCase()] as (b: Buffer) => {
              width: number;
              height: number;
              data: Uint8Array;
            }
          )(await readFile(join(dir, file)));
        } catch (err) {
          throw new InputError(`--images: cannot decode ${file}: ${(err as Error).message}`);
        }
        bytes = resizeRgbaToRgb(img, h as number, w as number);
        if (cache.size < CACHE_FRAMES) cache.set(k, bytes);
      }
      return { name: input.name, dtype: 'uint8', shape: [...input.shape], bytes };
    },
  };
}
