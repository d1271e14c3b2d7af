// A lock file beside a file that several processes edit (the inventory: `mchair devices add` in
// two terminals, the app and a command): whoever creates `<file>.lock` first edits, the others
// wait. A lock left by a process that died (SIGKILL, power cut) is taken over, so a crash never
// blocks the lab.
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../contract/errors';
import { processAlive } from './owner';

/**
 * A lock is taken over only once it is this old as well as ownerless: a lock whose owner just
 * exited may already have been released and made again by another process, and the fresh age of
 * that new file is what tells the two apart.
 */
const STALE_AGE_MS = 1000;
/** An empty lock this old was left by a process killed between creating and filling it. */
const EMPTY_LOCK_STALE_MS = 5000;

/** The lock's text when it was left by a dead process (and may be removed), else null. */
async function staleText(lock: string): Promise<string | null> {
  const text = await readFile(lock, 'utf8').catch(() => null);
  const st = await stat(lock).catch(() => null);
  if (text === null || st === null) return null; // released meanwhile: just try again
  const age = Date.now() - st.mtimeMs;
  const pid = Number.parseInt(text, 10);
  if (Number.isInteger(pid) && pid > 0)
    return !processAlive(pid) && age > STALE_AGE_MS ? text : null;
  return age > EMPTY_LOCK_STALE_MS ? text : null;
}

/** Runs `fn` holding `lock` (created exclusively, holding this pid); waits up to `timeoutMs` for it. */
export async function withFileLock<T>(
  lock: string,
  fn: () => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // A fresh data folder has no folder for the lock yet (the first `farm up` in it).
  await mkdir(dirname(lock), { recursive: true });
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      try {
        await fh.writeFile(String(process.pid));
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stale = await staleText(lock);
      // Removed only if still the very lock judged stale (same text), not one made since.
      if (stale !== null && (await readFile(lock, 'utf8').catch(() => null)) === stale) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        const holder = (await readFile(lock, 'utf8').catch(() => '')).trim() || 'another process';
        throw new AppError(
          'LOCKED',
          `${lock} is held by process ${holder}; wait for it to finish, or delete the file if no mchair is running`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
