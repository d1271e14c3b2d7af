// The page's frame packing: RGBA canvas pixels to the model's RGB bytes, and base64 that the
// core decodes back to the same bytes (a 224x224 frame is larger than one fromCharCode call takes).
import { describe, expect, it } from 'vitest';
import { PAGE_FRAME_BYTES } from '../../../src-main/contract/index';
import { rgbaToRgb, toBase64 } from '../../../src-renderer/composables/pageFrames';

describe('page frames', () => {
  it('drops alpha and keeps every pixel in order', () => {
    const rgba = Uint8ClampedArray.from([1, 2, 3, 255, 4, 5, 6, 0, 7, 8, 9, 128]);
    expect([...rgbaToRgb(rgba)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('base64 of a whole frame decodes to the same bytes', () => {
    const rgb = new Uint8Array(PAGE_FRAME_BYTES);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + (i >> 9)) & 0xff;
    const back = Uint8Array.from(atob(toBase64(rgb)), (c) => c.charCodeAt(0));
    expect(back.length).toBe(PAGE_FRAME_BYTES);
    expect(back).toEqual(rgb);
  });
});
