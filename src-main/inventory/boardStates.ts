// What each board last said about itself (contract/boards.ts), kept in the data folder beside the
// inventory (`boards.json`), so the Farm table shows every board's agent, service and parts after
// a restart instead of nothing. Written under a lock like the inventory: the app and a command
// may both record a board at once. A file that does not parse is set aside as empty: it is a
// cache of the boards' answers, and the next refresh writes it again.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { BoardState } from '../contract/boards';
import { writeFileAtomic } from '../store/atomic';
import { withFileLock } from '../store/lock';

const BoardStatesFile = z
  .object({ version: z.literal(1), boards: z.record(z.string(), BoardState) })
  .strict();

export function defaultBoardStatesPath(dataDir: string): string {
  return join(dataDir, 'boards.json');
}

export async function loadBoardStates(path: string): Promise<Map<string, BoardState>> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return new Map();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return new Map();
  }
  const parsed = BoardStatesFile.safeParse(raw);
  return new Map(parsed.success ? Object.entries(parsed.data.boards) : []);
}

/** Sets (a state) or forgets (null) boards' states in one locked load-change-save. */
export async function saveBoardStates(
  path: string,
  changes: ReadonlyMap<string, BoardState | null>,
): Promise<Map<string, BoardState>> {
  await mkdir(dirname(path), { recursive: true });
  return withFileLock(`${path}.lock`, async () => {
    const states = await loadBoardStates(path);
    for (const [name, state] of changes) {
      if (state) states.set(name, state);
      else states.delete(name);
    }
    const doc: z.input<typeof BoardStatesFile> = { version: 1, boards: Object.fromEntries(states) };
    await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
    return states;
  });
}
