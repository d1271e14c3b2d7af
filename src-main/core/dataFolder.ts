// Settings' "change the data folder": either move what is there to the new folder, or point at a
// folder that already holds (or will hold) a lab's data and leave the old one as it is. Either way
// the lab's home keeps a pointer (store/paths.ts) that every program follows from its next start.
import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { AppError, InputError } from '../contract/index';
import { labFarmFile } from '../farm/labFarm';
import { writeFileAtomic } from '../store/atomic';
import { POINTER_FILE } from '../store/paths';
import { listRuns } from '../store/runs';

export type DataFolderChange = 'move' | 'point';

const within = (outer: string, inner: string): boolean => {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== POINTER_FILE);
}

/** Moves one entry, across file systems too (rename fails there with EXDEV). */
async function moveEntry(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, to, { recursive: true, errorOnExist: true, force: false });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Makes `to` the data folder. `home` is where the pointer lives (the lab's home), `current` the
 * folder in use. Returns what is in the new folder: what was moved, or what was found there.
 */
export async function changeDataFolder(o: {
  home: string;
  current: string;
  to: string;
  how: DataFolderChange;
}): Promise<{ dataDir: string; how: DataFolderChange; entries: string[] }> {
  if (!isAbsolute(o.to)) throw new InputError(`"${o.to}" is not an absolute path to a folder`);
  const to = resolve(o.to);
  const current = resolve(o.current);
  if (to === current) throw new InputError(`${to} is the data folder already`);
  if (within(current, to) || within(to, current))
    throw new InputError(`${to} and the data folder ${current} are inside one another`);
  let moved: string[] = [];
  if (o.how === 'move') {
    const there = await entries(to);
    if (there.length > 0)
      throw new InputError(
        `${to} is not empty (${there.slice(0, 3).join(', ')}${there.length > 3 ? ', ...' : ''}): move into an empty folder, or point to it to use what is there`,
      );
    // The farm's agents read their keys and parts from the folder, and runs write into it.
    if (existsSync(labFarmFile(current)))
      throw new AppError(
        'FARM_RUNNING',
        'the virtual farm is up in the data folder: stop it (Farm view) before moving the folder',
      );
    const live = (await listRuns(current)).filter((r) => ['starting', 'running'].includes(r.state));
    if (live.length > 0)
      throw new AppError(
        'RUN_LIVE',
        `run ${live[0]!.id} is ${live[0]!.state}: stop it before moving the data folder`,
      );
    await mkdir(to, { recursive: true });
    moved = await entries(current);
    for (const name of moved) await moveEntry(join(current, name), join(to, name));
  } else {
    await mkdir(to, { recursive: true });
  }
  const pointer = join(o.home, POINTER_FILE);
  if (resolve(o.home) === to) await rm(pointer, { force: true });
  else await writeFileAtomic(pointer, `${JSON.stringify({ dataDir: to }, null, 2)}\n`);
  return { dataDir: to, how: o.how, entries: o.how === 'move' ? moved : await entries(to) };
}
