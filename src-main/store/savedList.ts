// A list the lab keeps in one JSON file of its data folder ({version: 1, <key>: [...]}), that
// Settings edits and commands read: the saved power meters, the model mirrors. Every edit reads,
// changes and rewrites the whole file under a lock (the app and a second window or CLI may edit
// at once) by temp + rename, so a crash leaves the previous list, never half of one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, describeIssues } from '../contract/errors';
import { writeFileAtomic } from './atomic';
import { withFileLock } from './lock';

export interface SavedList<T> {
  file(dataDir: string): string;
  /** The list, empty when the file does not exist; an unreadable file names itself. */
  load(dataDir: string): Promise<T[]>;
  /** Applies `change` to the list under the lock and writes the result whole. */
  edit(dataDir: string, change: (items: T[]) => T[]): Promise<T[]>;
}

export function savedList<K extends string, S extends z.ZodType>(
  key: K,
  items: S,
  max: number,
  /** The error code of a file that is not such a list (METERS_UNREADABLE). */
  unreadable: string,
): SavedList<z.output<S>> {
  type T = z.output<S>;
  const schema = z.object({ version: z.literal(1), [key]: items.array().max(max) }).strict();
  const file = (dataDir: string): string => join(dataDir, `${key}.json`);

  async function load(dataDir: string): Promise<T[]> {
    const path = file(dataDir);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError(unreadable, `${path} is not JSON; fix it or delete it to start over`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError(unreadable, describeIssues(path, parsed.error.issues));
    return (parsed.data as Record<K, T[]>)[key];
  }

  return {
    file,
    load,
    edit: (dataDir, change) =>
      withFileLock(`${file(dataDir)}.lock`, async () => {
        const next = change(await load(dataDir));
        await writeFileAtomic(
          file(dataDir),
          `${JSON.stringify({ version: 1, [key]: next }, null, 2)}\n`,
        );
        return next;
      }),
  };
}
