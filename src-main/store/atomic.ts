// Whole-file writes that are never seen half-done: write a temporary file beside the target,
// flush it to disk, then rename over the target (rename is atomic within a folder). A crash or a
// full disk in the middle leaves the previous file intact.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  let closed = false;
  try {
    await fh.writeFile(data);
    // Without the fsync a power cut after the rename can leave an empty file behind the new name.
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
}
