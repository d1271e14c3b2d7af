// frameScheduler: many redraw requests, at most one draw per animation frame.
import { describe, expect, it } from 'vitest';
import { frameScheduler } from '../../../src-renderer/composables/frameScheduler';

function fakeFrames() {
  const queued = new Map<number, FrameRequestCallback>();
  let next = 1;
  return {
    raf: (cb: FrameRequestCallback) => {
      queued.set(next, cb);
      return next++;
    },
    caf: (handle: number) => void queued.delete(handle),
    /** Runs the callbacks queued for the coming frame. */
    tick() {
      const due = [...queued.values()];
      queued.clear();
      for (const cb of due) cb(0);
    },
    get pending() {
      return queued.size;
    },
  };
}

describe('frameScheduler', () => {
  it('draws once per frame however many times it is asked', () => {
    const frames = fakeFrames();
    let draws = 0;
    const s = frameScheduler(() => draws++, frames.raf, frames.caf);
    for (let i = 0; i < 50; i++) s.request();
    expect(frames.pending).toBe(1);
    frames.tick();
    expect(draws).toBe(1);
    s.request();
    frames.tick();
    expect(draws).toBe(2);
  });

  it('draws nothing after cancel', () => {
    const frames = fakeFrames();
    let draws = 0;
    const s = frameScheduler(() => draws++, frames.raf, frames.caf);
    s.request();
    s.cancel();
    frames.tick();
    expect(draws).toBe(0);
    expect(frames.pending).toBe(0);
  });
});
