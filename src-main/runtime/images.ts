// Frames from pictures (JPEG, PNG): a folder's files in name order, or a list of files (`mchair
// classify`), cycled when the run asks for more frames than there are pictures. Each is decoded
// and cut as the model's card says (contract/frameWindow.ts: cover the card's resize, centre
// crop) into uint8 HWC RGB at the model's input size. Frame i is always the same picture, so
// --check can regenerate it.
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../contract/index';
import { frameWindow, type FrameView } from '../contract/frameWindow';
import type { FrameSource } from './source';

export interface Picture {
  width: number;
  height: number;
  /** RGBA, row by row. */
  data: Uint8Array;
}

const DECODERS: Record<string, (b: Buffer) => Picture> = {
  '.jpg': (b) => jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 }),
  '.jpeg': (b) => jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 }),
  '.png': (b) => PNG.sync.read(b),
};

export const isPictureFile = (file: string): boolean => extname(file).toLowerCase() in DECODERS;

/** Decodes a JPEG or PNG file; `what` names the flag or command in the error. */
export async function readPicture(file: string, what: string): Promise<Picture> {
  const decode = DECODERS[extname(file).toLowerCase()];
  if (!decode) throw new InputError(`${what}: ${file} is not a .jpg, .jpeg or .png file`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new InputError(`${what}: cannot read ${file}`);
  }
  try {
    return decode(bytes);
  } catch (err) {
    throw new InputError(`${what}: cannot decode ${basename(file)}: ${(err as Error).message}`);
  }
}

/**
 * The frame `view` describes, cut from the picture: its window (frameWindow) scaled to
 * view.width x view.height as uint8 HWC RGB. Bilinear, averaging a grid of samples per frame
 * pixel where the window is larger than the frame, so a photo shrunk tenfold does not alias.
 */
export function pictureFrame(src: Picture, view: FrameView): Buffer {
  const { width: w, height: h } = view;
  const win = frameWindow(src, view);
  const sx = win.width / w;
  const sy = win.height / h;
  const nx = Math.max(1, Math.ceil(sx));
  const ny = Math.max(1, Math.ceil(sy));
  const out = Buffer.allocUnsafe(h * w * 3);
  const acc = [0, 0, 0];
  const at = (pos: number, size: number) => Math.min(size - 1, Math.max(0, pos - 0.5));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      acc.fill(0);
      for (let j = 0; j < ny; j++) {
        const fy = at(win.y + (y + (j + 0.5) / ny) * sy, src.height);
        const y0 = Math.floor(fy);
        const y1 = Math.min(src.height - 1, y0 + 1);
        const wy = fy - y0;
        for (let i = 0; i < nx; i++) {
          const fx = at(win.x + (x + (i + 0.5) / nx) * sx, src.width);
          const x0 = Math.floor(fx);
          const x1 = Math.min(src.width - 1, x0 + 1);
          const wx = fx - x0;
          for (let c = 0; c < 3; c++) {
            const p = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 4 + c]!;
            const top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx;
            const bottom = p(y1, x0) * (1 - wx) + p(y1, x1) * wx;
            acc[c]! += top * (1 - wy) + bottom * wy;
          }
        }
      }
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = Math.round(acc[c]! / (nx * ny));
    }
  return out;
}

type FrameInput = { name: string; dtype: string; shape: number[] };

/**
 * How pictures become frames of a uint8 [1,H,W,3] input (null for any other input); `resize` is
 * the card's, the input size without one.
 */
export function frameView(
  input: FrameInput,
  resize: readonly [number, number] | undefined,
): FrameView | null {
  const [n, h, w, c] = input.shape;
  if (input.dtype !== 'uint8' || input.shape.length !== 4 || n !== 1 || c !== 3) return null;
  return { width: w!, height: h!, resize: [...(resize ?? [w!, h!])] as [number, number] };
}

function viewOf(input: FrameInput, resize: readonly [number, number] | undefined, what: string) {
  const view = frameView(input, resize);
  if (!view)
    throw new InputError(
      `${what}: the model wants ${input.dtype} [${input.shape.join(',')}]; picture frames are uint8 [1,H,W,3]`,
    );
  return view;
}

/**
 * Frames from these picture files, frame i from file i modulo their count. `resize` is the
 * card's (input.resize); `what` names the flag or command in errors.
 */
export function pictureFilesSource(
  files: readonly string[],
  input: FrameInput,
  o: { resize?: readonly [number, number]; what: string; name: string },
): FrameSource {
  const view = viewOf(input, o.resize, o.what);
  // Decoded frames are kept for small lists; a large folder is decoded again when revisited.
  const cache = new Map<number, Buffer>();
  const CACHE_FRAMES = 256;
  return {
    name: o.name,
    input,
    frame: async (id) => {
      const k = id % files.length;
      let bytes = cache.get(k);
      if (!bytes) {
        bytes = pictureFrame(await readPicture(files[k]!, o.what), view);
        if (cache.size < CACHE_FRAMES) cache.set(k, bytes);
      }
      return { name: input.name, dtype: 'uint8', shape: [...input.shape], bytes };
    },
  };
}

/** `--images DIR`: the folder's pictures in file-name order. */
export async function imageFolderSource(
  dir: string,
  input: FrameInput,
  resize?: readonly [number, number],
): Promise<FrameSource> {
  viewOf(input, resize, '--images');
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isPictureFile).sort();
  } catch {
    throw new InputError(`--images: cannot read the folder ${dir}`);
  }
  if (names.length === 0) throw new InputError(`--images: ${dir} has no .jpg, .jpeg or .png file`);
  return pictureFilesSource(
    names.map((f) => join(dir, f)),
    input,
    { resize, what: '--images', name: `images:${dir}` },
  );
}
