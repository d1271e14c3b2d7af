// The window's remembered bounds: saved atomically, damaged files fall back to the default, and a
// position left on an unplugged monitor is dropped rather than opening the window off-screen.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW,
  loadWindowState,
  placeOnScreen,
  saveWindowState,
} from '../../../src-main/electron/window-state';

const laptop = { x: 0, y: 0, width: 1920, height: 1080 };
const external = { x: 1920, y: 0, width: 2560, height: 1440 };

describe('window state', () => {
  it('round-trips through userData/window-state.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-win-'));
    const state = { width: 1400, height: 900, x: 2000, y: 40, maximized: true };
    await saveWindowState(dir, state);
    expect(await loadWindowState(dir)).toEqual(state);
    expect(JSON.parse(await readFile(join(dir, 'window-state.json'), 'utf8'))).toEqual(state);
  });

  it('falls back to the default for a missing, damaged or absurd file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-win-'));
    expect(await loadWindowState(dir)).toEqual(DEFAULT_WINDOW);
    await writeFile(join(dir, 'window-state.json'), '{"width": 1400, "hei');
    expect(await loadWindowState(dir)).toEqual(DEFAULT_WINDOW);
    await writeFile(join(dir, 'window-state.json'), '{"width": 5, "height": 1e9}');
    expect(await loadWindowState(dir)).toEqual(DEFAULT_WINDOW);
  });

  it('keeps a position on a display and drops one on an unplugged monitor', () => {
    const onExternal = { width: 1400, height: 900, x: 2000, y: 40, maximized: false };
    expect(placeOnScreen(onExternal, [laptop, external])).toEqual(onExternal);
    expect(placeOnScreen(onExternal, [laptop])).toEqual({
      width: 1400,
      height: 900,
      maximized: false,
    });
    const titleAbove = { width: 1400, height: 900, x: 100, y: -300, maximized: false };
    expect(placeOnScreen(titleAbove, [laptop]).x).toBeUndefined();
  });
});
