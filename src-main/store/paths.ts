// Where the lab keeps its data: one folder shared by the desktop app, `mchair serve` and the CLI,
// so each sees the others' runs, inventory and virtual farm (the app took Electron's userData
// before, and saw none of the CLI's). $MCHAIR_HOME, else the platform's place for application
// data. Settings can move the data elsewhere: the home then keeps only a pointer to it
// (data-folder.json), which every program follows.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { z } from 'zod';

const FOLDER = 'musical-chair-lab';
export const POINTER_FILE = 'data-folder.json';
export const DataFolderPointer = z.object({ dataDir: z.string().min(1) }).strict();

/** The lab's home on this platform: where its data is unless Settings moved it. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.MCHAIR_HOME) return env.MCHAIR_HOME;
  if (platform === 'win32')
    return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), FOLDER);
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', FOLDER);
  return posix.join(env.XDG_DATA_HOME || posix.join(home, '.local', 'share'), FOLDER);
}

/** The data folder a home points to, or the home itself (a pointer that does not parse is ignored). */
export function dataDirOf(home: string): string {
  const pointer = join(home, POINTER_FILE);
  if (!existsSync(pointer)) return home;
  try {
    return DataFolderPointer.parse(JSON.parse(readFileSync(pointer, 'utf8'))).dataDir;
  } catch {
    return home;
  }
}
