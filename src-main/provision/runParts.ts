// A run's partitions onto the lab's provisioned boards: each board of the plan gets exactly the
// part files its replicas load, over SFTP into its agent's parts folder. Files are named by their
// sha256, as the virtual farm's placeParts names them, so the parts of different models and plans
// never overwrite each other and an agent asked for a part by hash finds exactly that content; a
// file already there with the right sha256 is not sent again (a re-run, or a re-plan after a fault
// that reuses a part, sends nothing).
import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { AppError } from '../contract/errors';
import type { Manifest } from '../contract/manifest';
import type { BoardRecord } from '../inventory/boardRecord';
import type { Connector } from '../ssh/connector';
import { shCommand } from '../ssh/quote';
import { remoteSha256, uploadFile } from '../ssh/upload';

export interface RunBoards {
  /** The inventory's boards the run may use; device names are the plan's device ids. */
  devices: readonly BoardRecord[];
  connector: Connector;
  /**
   * The inventory file when the run has all its boards (`--devices all`): boards it gains while
   * the run goes, once provisioned, join the run (runtime/boardsJoin.ts).
   */
  inventory?: string;
}

/** What one board was sent: none of its files when it had them all already. */
export interface BoardPush {
  files: number;
  bytes: number;
}

export interface PushedParts {
  /** The manifest with each part's file named as it is on the boards. */
  manifest: Manifest;
  /** Per board of the assignment, in the plan's order. */
  sent: Map<string, BoardPush>;
}

export interface PushOptions {
  signal?: AbortSignal;
  /** Bytes of a board's missing part files sent so far, of all it lacks (VGG16's take minutes). */
  onProgress?(device: string, done: number, total: number): void;
}

/** The parts folder the provisioned agent reads (see provision.ts: `<remoteDir>/parts`). */
function partsFolder(device: BoardRecord): string {
  return posix.join(device.remoteDir, 'parts');
}

/**
 * Sends every board in `assignment` (agent ids per stage per part, as the coordinator takes it)
 * the part files it runs, from `fromDir` where `manifest` was written; all boards at once.
 */
export async function pushRunParts(
  manifest: Manifest,
  fromDir: string,
  assignment: readonly (readonly (readonly string[])[])[],
  boards: RunBoards,
  opts: PushOptions = {},
): Promise<PushedParts> {
  const wanted = new Map<string, Map<string, { file: string; sha256: string }>>();
  manifest.stages.forEach((stage, s) =>
    stage.parts.forEach((part, p) => {
      for (const id of assignment[s]?.[p] ?? []) {
        const files = wanted.get(id) ?? new Map<string, { file: string; sha256: string }>();
        files.set(part.sha256, part);
        wanted.set(id, files);
      }
    }),
  );
  const pushes = await Promise.all(
    [...wanted].map(async ([id, files]) => {
      const device = boards.devices.find((d) => d.name === id);
      if (!device)
        throw new AppError(
          'DEVICE_NOT_FOUND',
          `the plan puts a part on "${id}", which is not among the run's boards`,
        );
      return [id, await pushTo(device, [...files.values()], fromDir, boards, opts)] as const;
    }),
  );
  const stages = manifest.stages.map((s) => ({
    ...s,
    parts: s.parts.map((p) => ({ ...p, file: `${p.sha256}.onnx` })),
  }));
  return { manifest: { ...manifest, stages }, sent: new Map(pushes) };
}

async function pushTo(
  device: BoardRecord,
  parts: ReadonlyArray<{ file: string; sha256: string }>,
  fromDir: string,
  boards: RunBoards,
  { signal, onProgress }: PushOptions,
): Promise<BoardPush> {
  const folder = partsFolder(device);
  const remote = (sha256: string): string => posix.join(folder, `${sha256}.onnx`);
  return boards.connector.with(
    device,
    async (session) => {
      await session.run(shCommand('mkdir', '-p', '--', folder), 'creating the parts folder');
      const there = await remoteSha256(
        session,
        parts.map((p) => remote(p.sha256)),
      );
      const missing = parts.filter((x) => there.get(remote(x.sha256)) !== x.sha256);
      const sizes = await Promise.all(
        missing.map(async (p) => (await stat(join(fromDir, p.file))).size),
      );
      const total = sizes.reduce((a, b) => a + b, 0);
      let before = 0;
      let bytes = 0;
      for (const [i, p] of missing.entries()) {
        const r = await uploadFile(session, join(fromDir, p.file), remote(p.sha256), {
          sha256: p.sha256,
          ...(signal ? { signal } : {}),
          onProgress: (done) => onProgress?.(device.name, before + done, total),
        });
        before += sizes[i]!;
        bytes += r.bytesSent;
      }
      return { files: missing.length, bytes };
    },
    signal,
  );
}
