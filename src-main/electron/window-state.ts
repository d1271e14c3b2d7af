// The main window's size, position and maximised state, remembered across starts in
// userData/window-state.json. A saved position that no longer falls on any display (a monitor
// unplugged since) is dropped so the window never opens off-screen.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic';

const Size = z.number().int().min(400).max(20_000);
const Coord = z.number().int().min(-100_000).max(100_000);

export const WindowState = z.object({
  width: Size,
  height: Size,
  x: Coord.optional(),
  y: Coord.optional(),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowState>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 820, maximized: false };

function file(userData: string): string {
  return join(userData, 'window-state.json');
}

/** The saved state, or the default when there is none or it is damaged (never an error). */
export async function loadWindowState(userData: string): Promise<WindowState> {
  try {
    const parsed = WindowState.safeParse(JSON.parse(await readFile(file(userData), 'utf8')));
    return parsed.success ? parsed.data : DEFAULT_WINDOW;
  } catch {
    return DEFAULT_WINDOW;
  }
}

export async function saveWindowState(userData: string, state: WindowState): Promise<void> {
  await writeFileAtomic(file(userData), `${JSON.stringify(state)}\n`);
}

/** Keeps the saved position only when at least 100x50 px of the title area is on a display. */
export function placeOnScreen(state: WindowState, displays: readonly Rect[]): WindowState {
  if (state.x === undefined || state.y === undefined) return state;
  const { x, y } = state;
  const visible = displays.some(
    (d) =>
      x + state.width - 100 >= d.x &&
      x + 100 <= d.x + d.width &&
      y >= d.y &&
      y + 50 <= d.y + d.height,
  );
  if (visible) return state;
  return { width: state.width, height: state.height, maximized: state.maximized };
}
