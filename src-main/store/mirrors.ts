// The lab's model mirrors: mirrors.json in the data folder, which Settings edits and every model
// download (the app's and `mchair model get`'s) tries first, in order. Edited as meters.json is:
// read, change, rewrite whole by temp + rename under a lock; each URL checked before it is kept.
import { AppError, InputError } from '../contract/errors';
import { MAX_MIRRORS, MirrorUrl } from '../contract/download';
import { savedList } from './savedList';

const saved = savedList('mirrors', MirrorUrl, MAX_MIRRORS, 'MIRRORS_UNREADABLE');

export const mirrorsFile = saved.file;
export const loadMirrors = saved.load;
const editMirrors = saved.edit;

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
