// The lab's model mirrors: mirrors.json in the data folder, which Settings edits and every model
// download (the app's and `mchair model get`'s) tries first, in order. Edited as meters.json is:
// read, change, rewrite whole by temp + rename under a lock; each URL checked before it is kept.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, describeIssues, InputError } from '../contract/errors';
import { MAX_MIRRORS, MirrorList, MirrorUrl } from '../contract/download';
import { writeFileAtomic } from './atomic';
import { withFileLock } from './lock';

const MirrorsFile = z.object({ version: z.literal(1), mirrors: MirrorList }).strict();

export function mirrorsFile(dataDir: string): string {
  return join(dataDir, 'mirrors.json');
}

export async function loadMirrors(dataDir: string): Promise<string[]> {
  const file = mirrorsFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError(
      'MIRRORS_UNREADABLE',
      `${file} is not JSON; fix it or delete it to start over`,
    );
  }
  const parsed = MirrorsFile.safeParse(json);
  if (!parsed.success)
    throw new AppError('MIRRORS_UNREADABLE', describeIssues(file, parsed.error.issues));
  return parsed.data.mirrors;
}

async function editMirrors(
  dataDir: string,
  change: (mirrors: string[]) => string[],
): Promise<string[]> {
  const file = mirrorsFile(dataDir);
  return withFileLock(`${file}.lock`, async () => {
    const next = change(await loadMirrors(dataDir));
    await writeFileAtomic(file, `${JSON.stringify({ version: 1, mirrors: next }, null, 2)}\n`);
    return next;
  });
}

/** Checks a mirror URL as a flag or a form gives it; the error names what to fix. */
export function parseMirror(raw: string): string {
  const parsed = MirrorUrl.safeParse(raw);
  if (!parsed.success) throw new InputError(parsed.error.issues[0]?.message ?? 'bad mirror');
  return parsed.data;
}

export function addMirror(dataDir: string, raw: string): Promise<string[]> {
  const url = parseMirror(raw);
  return editMirrors(dataDir, (mirrors) => {
    if (mirrors.includes(url)) throw new InputError(`mirror ${url} is in the list already`);
    if (mirrors.length >= MAX_MIRRORS)
      throw new InputError(`at most ${MAX_MIRRORS} mirrors can be kept; remove one first`);
    return [...mirrors, url];
  });
}

export function removeMirror(dataDir: string, url: string): Promise<string[]> {
  return editMirrors(dataDir, (mirrors) => {
    if (!mirrors.includes(url))
      throw new AppError('MIRROR_NOT_FOUND', `no mirror ${url} is in the list`);
    return mirrors.filter((m) => m !== url);
  });
}
