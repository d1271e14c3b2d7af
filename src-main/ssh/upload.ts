// Puts one local file on a board so that the final name only ever holds a complete, verified
// copy: bytes go to `NAME.part` (continued where an interrupted upload stopped), the board's own
// sha256sum checks them, and an atomic rename publishes the file. Progress is reported per chunk;
// an AbortSignal stops between chunks and leaves the .part file for the next attempt to resume.
import { open, stat } from 'node:fs/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import { AppError } from '../contract/errors';
import { shCommand } from './quote';
import { cancelled, type SshSession } from './session';

export interface UploadOptions {
  /** Expected sha256 (hex) of the local file, checked on the board before the rename. */
  sha256: string;
  mode?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface UploadResult {
  /** Bytes sent over the wire by this call (0 when everything was already there). */
  bytesSent: number;
  /** Where a previous interrupted upload had stopped. */
  resumedFrom: number;
}

const CHUNK = 64 * 1024;
// Several writes in flight hide the round trip, which dominates on Wi-Fi links.
const IN_FLIGHT = 8;

function call<T = void>(
  what: string,
  label: string,
  fn: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((err, value) => {
      if (err)
        reject(
          new AppError(
            'UPLOAD_FAILED',
            `${what} failed on ${label}: ${err.message}${/failure/i.test(err.message) ? ' (is its disk full?)' : ''}`,
          ),
        );
      else resolve(value);
    }),
  );
}

async function remoteSize(sftp: SFTPWrapper, path: string): Promise<number | null> {
  return new Promise((resolve) =>
    sftp.stat(path, (err: Error | undefined, st: Stats) => resolve(err ? null : st.size)),
  );
}

/** The board's own hash of a file, or null when it does not exist. */
export async function remoteSha256(
  session: SshSession,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (paths.length === 0) return hashes;
  // Missing files only print to stderr (and make the exit code 1): that is the answer for them.
  const r = await session.exec(`${shCommand('sha256sum', '--', ...paths)} 2>/dev/null`);
  for (const line of r.stdout.split('\n')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.*)$/.exec(line);
    // sha256sum escapes names with a backslash or newline, and then prefixes the line with `\`.
    if (m)
      hashes.set(
        line.startsWith('\\') ? m[2]!.replace(/\\n/g, '\n').replace(/\\\\/g, '\\') : m[2]!,
        m[1]!,
      );
  }
  return hashes;
}

async function sendFrom(
  sftp: SFTPWrapper,
  label: string,
  local: string,
  part: string,
  from: number,
  total: number,
  opts: UploadOptions,
): Promise<number> {
  const handle = await call<Buffer>(`opening ${part}`, label, (cb) =>
    sftp.open(part, from > 0 ? 'r+' : 'w', { mode: opts.mode ?? 0o644 }, cb),
  );
  const file = await open(local, 'r');
  let sent = 0;
  try {
    let next = from;
    let done = from;
    const writeOne = async (): Promise<void> => {
      while (next < total) {
        if (opts.signal?.aborted) throw cancelled(`uploading ${part} to ${label}`);
        const position = next;
        const length = Math.min(CHUNK, total - position);
        next += length;
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await file.read(buf, 0, length, position);
        if (bytesRead !== length)
          throw new AppError('UPLOAD_FAILED', `${local} changed while it was being uploaded`);
        await call(`writing ${part}`, label, (cb) =>
          sftp.write(handle, buf, 0, length, position, cb),
        );
        sent += length;
        done += length;
        opts.onProgress?.(done, total);
      }
    };
    // Every write already started is let finish, so the .part file has no hole to resume over.
    const settled = await Promise.allSettled(Array.from({ length: IN_FLIGHT }, writeOne));
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await file.close();
    await call(`closing ${part}`, label, (cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
  return sent;
}

export async function uploadFile(
  session: SshSession,
  local: string,
  remote: string,
  opts: UploadOptions,
): Promise<UploadResult> {
  const sftp = await session.sftp();
  const total = (await stat(local)).size;
  const part = `${remote}.part`;
  const partSize = await remoteSize(sftp, part);
  // A .part longer than the file belongs to another version of it: start over.
  const resumedFrom = partSize !== null && partSize <= total ? partSize : 0;
  opts.onProgress?.(resumedFrom, total);
  let bytesSent = await sendFrom(sftp, session.label, local, part, resumedFrom, total, opts);
  let hash = (await remoteSha256(session, [part])).get(part);
  if (hash !== opts.sha256 && resumedFrom > 0) {
    // The kept prefix was from a different file after all; one clean retry settles it.
    bytesSent += await sendFrom(sftp, session.label, local, part, 0, total, opts);
    hash = (await remoteSha256(session, [part])).get(part);
  }
  if (hash !== opts.sha256) {
    throw new AppError(
      'UPLOAD_CORRUPT',
      `${remote} arrived on ${session.label} with sha256 ${hash ?? '(unreadable)'} instead of ${opts.sha256}; check the board's disk and run again`,
    );
  }
  // posix-rename replaces the target atomically; plain SFTP rename refuses an existing one.
  await call(`publishing ${remote}`, session.label, (cb) =>
    sftp.ext_openssh_rename(part, remote, cb),
  );
  return { bytesSent, resumedFrom };
}
