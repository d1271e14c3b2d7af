// Frames the page captures for a run (webcam, video file, image folder): each picture cut as the
// model's card says (the window frameWindow gives: cover the card's resize, centre crop), drawn to
// a canvas of the model's input size, its RGBA pixels packed as RGB uint8 HWC, sent to the core as
// base64 over the contract (run/frame). A camera sends as fast as it captures and
// the core drops the oldest waiting frame; a file or folder waits for each frame's room.
import { AppError, frameWindow, type FrameView } from '../../src-main/contract/index';
import type { SourceCounters } from '../../src-main/contract/index';

/** RGBA pixels (a canvas's ImageData) as RGB, dropping alpha. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i] as number;
    rgb[j + 1] = rgba[i + 1] as number;
    rgb[j + 2] = rgba[i + 2] as number;
  }
  return rgb;
}

/** Base64 of bytes, in slices: String.fromCharCode on 150 KB at once overflows the stack. */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  const SLICE = 0x8000;
  for (let i = 0; i < bytes.length; i += SLICE)
    text += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  return btoa(text);
}

/** Where pictures come from: the next one to send, or null when there are no more. */
export interface PictureFeed {
  next(): Promise<CanvasImageSource | null>;
  close(): void;
}

/** A live camera's video element, sampled at most `fps` times a second. */
export function cameraFeed(video: HTMLVideoElement, fps: number): PictureFeed {
  let last = 0;
  return {
    next: async () => {
      const wait = last + 1000 / fps - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      last = performance.now();
      return video.readyState >= 2 ? video : null;
    },
    close: () => undefined,
  };
}

/**
 * The video's length. Browser recordings (MediaRecorder WebM) carry none: seeking far past the
 * end makes Chromium read the file through and find it.
 */
async function durationOf(video: HTMLVideoElement): Promise<number> {
  if (Number.isFinite(video.duration)) return video.duration;
  const found = new Promise<void>((resolve) => {
    const check = () => {
      if (!Number.isFinite(video.duration)) return;
      video.removeEventListener('durationchange', check);
      resolve();
    };
    video.addEventListener('durationchange', check);
  });
  video.currentTime = Number.MAX_SAFE_INTEGER;
  await Promise.race([found, new Promise((r) => setTimeout(r, 5000))]);
  return video.duration;
}

/** A video file stepped `fps` frames a second of its own time, from the start again at its end. */
export function videoFileFeed(video: HTMLVideoElement, fps: number): PictureFeed {
  let t = 0;
  let duration: number | null = null;
  return {
    next: async () => {
      duration ??= await durationOf(video);
      if (!Number.isFinite(duration) || duration <= 0)
        throw new AppError(
          'VIDEO_NO_DURATION',
          'this video does not say how long it is, so it cannot be stepped frame by frame; save it as a regular video file',
        );
      if (t >= duration) t = 0;
      const seeked = new Promise((r) => video.addEventListener('seeked', r, { once: true }));
      video.currentTime = t;
      await seeked;
      t += 1 / fps;
      return video;
    },
    close: () => undefined,
  };
}

/** Image files in name order, cycled (as `mchair run --source DIR` cycles a folder). */
export function imageFilesFeed(files: readonly File[]): PictureFeed {
  const images = [...files]
    .filter((f) => f.type.startsWith('image/'))
    .sort((a, b) => a.name.localeCompare(b.name));
  let i = 0;
  let shown: ImageBitmap | null = null;
  return {
    next: async () => {
      const file = images[i++ % images.length];
      if (!file) return null;
      shown?.close();
      shown = await createImageBitmap(file);
      return shown;
    },
    close: () => shown?.close(),
  };
}

/** A picture's own size in pixels (a video's frames, not its element's box). */
function pictureSize(p: CanvasImageSource): { width: number; height: number } {
  if (p instanceof HTMLVideoElement) return { width: p.videoWidth, height: p.videoHeight };
  if (p instanceof HTMLImageElement) return { width: p.naturalWidth, height: p.naturalHeight };
  if (p instanceof VideoFrame) return { width: p.displayWidth, height: p.displayHeight };
  if (p instanceof SVGElement) throw new Error('an SVG picture cannot become a frame');
  return { width: p.width, height: p.height };
}

/** Draws the frame `view` cuts from a picture and returns its RGB bytes. */
export function capture(
  ctx: CanvasRenderingContext2D,
  picture: CanvasImageSource,
  view: FrameView,
): Uint8Array {
  const w = frameWindow(pictureSize(picture), view);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(picture, w.x, w.y, w.width, w.height, 0, 0, view.width, view.height);
  return rgbaToRgb(ctx.getImageData(0, 0, view.width, view.height).data);
}

export type SendFrame = (base64: string) => Promise<SourceCounters>;

/**
 * Sends the feed's pictures until it ends, the run stops taking frames, or `signal` aborts.
 * RUN_NOT_READY (the run is still deploying) is waited out; RUN_NOT_LIVE ends the pump.
 */
export async function pumpFrames(o: {
  feed: PictureFeed;
  /** The model's frame, as run/start gave it. */
  view: FrameView;
  send: SendFrame;
  signal: AbortSignal;
  /** A file run's frame count: the pump stops there instead of filling a queue nobody reads. */
  limit?: number;
  onSent?(c: SourceCounters): void;
  /** Sees each picture as it is sent (the live preview draws it). */
  onPicture?(picture: CanvasImageSource): void;
}): Promise<void> {
  const canvas = document.createElement('canvas');
  canvas.width = o.view.width;
  canvas.height = o.view.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot draw frames');
  try {
    let sent = 0;
    while (!o.signal.aborted && sent < (o.limit ?? Infinity)) {
      const picture = await o.feed.next();
      if (o.signal.aborted) break;
      if (!picture) {
        // A camera still warming up has no picture yet.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const base64 = toBase64(capture(ctx, picture, o.view));
      o.onPicture?.(picture);
      for (;;) {
        try {
          o.onSent?.(await o.send(base64));
          sent++;
          break;
        } catch (err) {
          if (err instanceof AppError && err.code === 'RUN_NOT_READY' && !o.signal.aborted) {
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          if (err instanceof AppError && err.code === 'RUN_NOT_LIVE') return;
          throw err;
        }
      }
    }
  } finally {
    o.feed.close();
  }
}
