// Where a run's frames come from when the page supplies them: the chosen webcam (its stream kept
// here so the run goes on when the user looks at another view), a video file or an image folder;
// and the pump that sends them to the core while the run takes frames.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FrameView, SourceCounters } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import {
  cameraFeed,
  imageFilesFeed,
  pumpFrames,
  videoFileFeed,
  type PictureFeed,
} from '../composables/pageFrames';

export type PageSourceKind = 'camera' | 'video' | 'folder';

/** Pictures a second the page samples a camera or steps a video at. */
const PAGE_FPS = 15;

export const usePageSourceStore = defineStore('pageSource', () => {
  const cameras = shallowRef<MediaDeviceInfo[]>([]);
  const cameraId = ref('');
  const stream = shallowRef<MediaStream | null>(null);
  const videoFile = shallowRef<File | null>(null);
  const folder = shallowRef<File[]>([]);
  const counters = shallowRef<SourceCounters | null>(null);
  const sending = ref(false);
  const error = ref<string | null>(null);
  /** The preview's drawing function while the Run view shows it. */
  let onPicture: ((p: CanvasImageSource) => void) | null = null;
  let abort: AbortController | null = null;

  function closeStream(): void {
    for (const t of stream.value?.getTracks() ?? []) t.stop();
    stream.value = null;
  }

  /** Opens a camera (the chosen one, else the default) and lists the cameras by name. */
  async function openCamera(id = cameraId.value): Promise<void> {
    error.value = null;
    try {
      closeStream();
      stream.value = await navigator.mediaDevices.getUserMedia({
        video: id ? { deviceId: { exact: id } } : true,
        audio: false,
      });
      // Names are only given once the user has allowed a camera.
      cameras.value = (await navigator.mediaDevices.enumerateDevices()).filter(
        (d) => d.kind === 'videoinput',
      );
      cameraId.value = stream.value.getVideoTracks()[0]?.getSettings().deviceId ?? id;
    } catch (err) {
      error.value =
        err instanceof DOMException
          ? `the camera could not be opened (${err.name}): allow the page to use it, or pick another source`
          : errorSentence(err);
    }
  }

  async function videoElement(src: MediaStream | File): Promise<HTMLVideoElement> {
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    if (src instanceof File) video.src = URL.createObjectURL(src);
    else video.srcObject = src;
    await new Promise((resolve, reject) => {
      video.addEventListener('loadeddata', resolve, { once: true });
      video.addEventListener('error', () => reject(new Error('the video cannot be played')), {
        once: true,
      });
    });
    if (!(src instanceof File)) await video.play();
    return video;
  }

  async function feedOf(kind: PageSourceKind): Promise<PictureFeed> {
    if (kind === 'camera') {
      if (!stream.value) await openCamera();
      if (!stream.value) throw new Error(error.value ?? 'no camera');
      return cameraFeed(await videoElement(stream.value), PAGE_FPS);
    }
    if (kind === 'video') {
      if (!videoFile.value) throw new Error('choose a video file first');
      const video = await videoElement(videoFile.value);
      const feed = videoFileFeed(video, PAGE_FPS);
      return { next: feed.next, close: () => URL.revokeObjectURL(video.src) };
    }
    if (folder.value.length === 0) throw new Error('choose a folder of images first');
    return imageFilesFeed(folder.value);
  }

  /**
   * Sends frames to run `runId`, cut as `view` says, until it stops taking them, stop() is called,
   * or (a file run) `limit` frames are sent.
   */
  async function begin(
    runId: string,
    view: FrameView,
    kind: PageSourceKind,
    limit?: number,
  ): Promise<void> {
    stop();
    const controller = new AbortController();
    abort = controller;
    sending.value = true;
    counters.value = null;
    error.value = null;
    try {
      await pumpFrames({
        feed: await feedOf(kind),
        view,
        send: (base64) => api.call('run/frame', { runId, base64 }),
        signal: controller.signal,
        limit,
        onSent: (c) => (counters.value = c),
        onPicture: (p) => onPicture?.(p),
      });
    } catch (err) {
      error.value = errorSentence(err);
    } finally {
      if (abort === controller) sending.value = false;
    }
  }

  function stop(): void {
    abort?.abort();
    abort = null;
    sending.value = false;
  }

  function drawTo(draw: ((p: CanvasImageSource) => void) | null): void {
    onPicture = draw;
  }

  return {
    cameras,
    cameraId,
    stream,
    videoFile,
    folder,
    counters,
    sending,
    error,
    openCamera,
    closeStream,
    begin,
    stop,
    drawTo,
  };
});
