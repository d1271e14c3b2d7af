// Where the app keeps its data: Electron's userData in the app, this folder headless.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.MCHAIR_HOME) return env.MCHAIR_HOME;
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'musical-chair-lab');
}
