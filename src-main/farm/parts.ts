// Puts a run's partitions where a local farm's agents read them. Files are stored under their
// sha256 (content-addressed), so runs of different models never overwrite each other's parts and
// an agent asked for a part by hash finds exactly that content. Boards get theirs over SFTP
// from provisioning instead.
import { copyFile, link, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../contract/index';

export async function placeParts(
  manifest: Manifest,
  fromDir: string,
  partsDir: string,
): Promise<Manifest> {
  const stages = await Promise.all(
    manifest.stages.map(async (s) => ({
      ...s,
      parts: await Promise.all(
        s.parts.map(async (p) => {
          const file = `${p.sha256}.onnx`;
          const dest = join(partsDir, file);
          const present = await stat(dest).then(
            () => true,
            () => false,
          );
          if (!present) {
            // A hard link costs nothing on the same file system; across file systems, copy.
            await link(join(fromDir, p.file), dest).catch(() =>
              copyFile(join(fromDir, p.file), dest),
            );
          }
          return { ...p, file };
        }),
      ),
    })),
  );
  return { ...manifest, stages };
}
