// Coalesces any number of "please redraw" requests into at most one call per animation frame, so
// a chart fed by bursts of events redraws at the display's pace, not the events'.

export interface FrameScheduler {
  request(): void;
  cancel(): void;
}

export function frameScheduler(
  draw: () => void,
  raf: (cb: FrameRequestCallback) => number = (cb) => requestAnimationFrame(cb),
  caf: (handle: number) => void = (handle) => cancelAnimationFrame(handle),
): FrameScheduler {
  let handle: number | null = null;
  return {
    request() {
      if (handle !== null) return;
      handle = raf(() => {
        handle = null;
        draw();
      });
    },
    cancel() {
      if (handle !== null) caf(handle);
      handle = null;
    },
  };
}
