import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameWindow } from '../../../src-main/contract/frameWindow';
import {
  imageFolderSource,
  pictureFilesSource,
  pictureFrame,
} from '../../../src-main/runtime/images';

let dir: string;
const input = { name: 'input', dtype: 'uint8', shape: [1, 8, 8, 3] };

function rgba(
  width: number,
  height: number,
  px: (x: number, y: number) => [number, number, number],
): { width: number; height: number; data: Buffer } {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([...px(x, y), 255], (y * width + x) * 4);
  return { width, height, data };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mchair-images-'));
  const png = new PNG({ width: 4, height: 2 });
  rgba(4, 2, (x) => (x < 2 ? [255, 0, 0] : [0, 0, 255])).data.copy(png.data);
  await writeFile(join(dir, 'a.png'), PNG.sync.write(png));
  await writeFile(
    join(dir, 'b.jpg'),
    jpeg.encode(
      rgba(16, 16, () => [40, 200, 90]),
      100,
    ).data,
  );
  await writeFile(join(dir, 'notes.txt'), 'not an image');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('image folder frames', () => {
  it('decodes PNG and JPEG in name order, resizes to the model input and cycles', async () => {
    const src = await imageFolderSource(dir, input);
    const a = await src.frame(0);
    expect(a.shape).toEqual([1, 8, 8, 3]);
    expect(a.bytes.length).toBe(8 * 8 * 3);
    // Left half red, right half blue survive the resize at the edges.
    expect([...a.bytes.subarray(0, 3)]).toEqual([255, 0, 0]);
    expect([...a.bytes.subarray((8 - 1) * 3, 8 * 3)]).toEqual([0, 0, 255]);
    const b = await src.frame(1);
    for (let i = 0; i < b.bytes.length; i += 3) {
      expect(Math.abs((b.bytes[i] as number) - 40)).toBeLessThan(4);
      expect(Math.abs((b.bytes[i + 1] as number) - 200)).toBeLessThan(4);
    }
    expect((await src.frame(2)).bytes.equals(a.bytes)).toBe(true);
  });

  it('refuses an empty folder, a model that does not take uint8 images, and a broken file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mchair-empty-'));
    await expect(imageFolderSource(empty, input)).rejects.toThrow(/no \.jpg, \.jpeg or \.png/);
    await expect(imageFolderSource(dir, { ...input, dtype: 'float32' })).rejects.toThrow(
      /uint8 \[1,H,W,3\]/,
    );
    await writeFile(join(empty, 'x.png'), 'garbage');
    const src = await imageFolderSource(empty, input);
    await expect(src.frame(0)).rejects.toThrow(/cannot decode x\.png/);
    await rm(empty, { recursive: true, force: true });
  });

  it('shrinking a uniform picture keeps it uniform', () => {
    const out = pictureFrame(
      rgba(50, 30, () => [7, 8, 9]),
      { width: 6, height: 4, resize: [6, 4] },
    );
    for (let i = 0; i < out.length; i += 3) expect([...out.subarray(i, i + 3)]).toEqual([7, 8, 9]);
  });

  it('lists pictures by file, and names the command when one cannot be read', async () => {
    const src = pictureFilesSource([join(dir, 'b.jpg'), join(dir, 'a.png')], input, {
      what: 'classify',
      name: 'pictures',
    });
    expect(
      (await src.frame(1)).bytes.equals(
        (await imageFolderSource(dir, input).then((f) => f.frame(0))).bytes,
      ),
    ).toBe(true);
    const missing = pictureFilesSource([join(dir, 'none.png')], input, {
      what: 'classify',
      name: 'x',
    });
    await expect(missing.frame(0)).rejects.toThrow(/^classify: cannot read .*none\.png$/);
  });
});

describe("the card's resize and crop", () => {
  it('cover the resize keeping the aspect, then cut the input size from the centre', () => {
    // 640x480 to cover 256x256: scale 256/480, then 224x224 from the centre.
    const w = frameWindow(
      { width: 640, height: 480 },
      { width: 224, height: 224, resize: [256, 256] },
    );
    expect(w.width).toBeCloseTo(420);
    expect(w.height).toBeCloseTo(420);
    expect(w.x).toBeCloseTo(110);
    expect(w.y).toBeCloseTo(30);
    // crop none: the resize is the input size; a square picture is used whole.
    expect(
      frameWindow({ width: 224, height: 224 }, { width: 224, height: 224, resize: [224, 224] }),
    ).toEqual({ x: 0, y: 0, width: 224, height: 224 });
  });

  it('a frame from a wide picture shows its centre only, at the input size', () => {
    // 12x4: left third red, middle green, right third blue; the frame covers 4x4: the middle.
    const px = (x: number): [number, number, number] =>
      x < 4 ? [255, 0, 0] : x < 8 ? [0, 255, 0] : [0, 0, 255];
    const out = pictureFrame(rgba(12, 4, px), { width: 2, height: 2, resize: [2, 2] });
    for (let i = 0; i < out.length; i += 3)
      expect([...out.subarray(i, i + 3)]).toEqual([0, 255, 0]);
    // A larger resize with a centre crop cuts the middle of the middle: still green.
    const crop = pictureFrame(rgba(12, 4, px), { width: 2, height: 2, resize: [4, 4] });
    for (let i = 0; i < crop.length; i += 3)
      expect([...crop.subarray(i, i + 3)]).toEqual([0, 255, 0]);
  });
});
