// Fetches one catalogue entry's file from a list of sources, in order, into
// <data>/models/.downloads/<id>.part, and hands back a file whose size and sha256 are the
// catalogue's, or nothing. A cut resumes with an HTTP Range from the bytes already on disk (also
// in a later run: the .part stays), so no byte is fetched twice from a server that honours ranges;
// one that answers 200 to a range is read again from the start. A source that fails (404, an LFS
// pointer instead of the model, wrong bytes, refused) gives way to the next; when all have failed
// the one error names the address to fetch by hand and the command that imports the file.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../contract/errors';
import { withFileLock } from '../../store/lock';
import { getRange, HttpStatusError, type HttpOptions } from './http';
import type { ProxyEnv } from './proxy';
import { RateMeter, type DownloadProgress } from './rate';
import type { DownloadSource } from './sources';

/** What the engine needs of a catalogue entry. */
export interface DownloadTarget {
  readonly id: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface DownloadOptions {
  dataDir: string;
  sources: readonly DownloadSource[];
  /** The address named in the "fetch it by hand" line: the first public host's. */
  manualUrl: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  env?: ProxyEnv;
  /** PEM CA certificates trusted instead of the system's (the tests' own CA). */
  ca?: string;
  idleMs?: number;
  progressEveryMs?: number;
}

export interface Downloaded {
  /** The checked file (size and sha256 match), still in .downloads: the library takes it. */
  file: string;
  source: DownloadSource;
  /** Bytes this call fetched (less than the size after a resume). */
  fetched: number;
}

/** An LFS pointer is ~130 bytes; a body this small where a model was expected is read whole. */
const SMALL_BODY = 1024;
const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1';
/** Cuts in a row on one source that each still brought bytes before the next source is tried. */
const MAX_RESUMES = 20;

export function downloadsDir(dataDir: string): string {
  return join(dataDir, 'models', '.downloads');
}

export function partFile(dataDir: string, id: string): string {
  return join(downloadsDir(dataDir), `${id}.part`);
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** A source that cannot give the file: the next one is tried. */
class SourceFailure extends Error {}

async function hashOf(file: string): Promise<Hash> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash;
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => null))?.size ?? 0;
}

interface Attempt {
  target: DownloadTarget;
  part: string;
  source: DownloadSource;
  http: HttpOptions;
  meter: RateMeter;
  /** The running sha256 of the part's bytes, kept across resumes so they are read once. */
  state: { hash: Hash | null; hashed: number; fetched: number };
}

function contentRangeStart(header: string | undefined): number | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * One request to the source from the bytes on disk. Resolves when the part holds `bytes` bytes;
 * rejects with a SourceFailure (try the next source), a "cut" Error (resume from here), or the
 * abort.
 */
async function fetchOnce(a: Attempt): Promise<void> {
  const { target, part, state } = a;
  let have = await sizeOf(part);
  if (have > target.bytes) {
    await rm(part, { force: true });
    have = 0;
  }
  if (have === target.bytes) return; // complete from an earlier run: only the check is left
  const { status, res, url } = await getRange(new URL(a.source.url), have, a.http).catch(
    (err: unknown) => {
      if (err instanceof HttpStatusError) throw new SourceFailure(err.message);
      throw err;
    },
  );
  if (status === 416) {
    res.resume();
    if (have === target.bytes) return;
    await rm(part, { force: true });
    throw new Error(`${url.host} refused the range from ${have}; starting again`);
  }
  if (status === 206 && contentRangeStart(res.headers['content-range']) !== have) {
    res.resume();
    throw new SourceFailure(`${url.host} answered another range than bytes=${have}-`);
  }
  const from = status === 206 ? have : 0;
  const declared = Number(res.headers['content-length'] ?? NaN);
  const body = res[Symbol.asyncIterator]();
  let first = (await body.next()) as IteratorResult<Buffer>;
  if (from === 0) {
    // A pointer file in place of the model (raw.githubusercontent, an LFS server out of quota):
    // said as such, and the bytes on disk are kept for a source that has the model.
    let head = first.done ? Buffer.alloc(0) : first.value;
    if (head.subarray(0, LFS_POINTER.length).toString('latin1') === LFS_POINTER) {
      while (head.length < SMALL_BODY) {
        const next = (await body.next()) as IteratorResult<Buffer>;
        if (next.done) break;
        head = Buffer.concat([head, next.value]);
      }
      res.destroy();
      throw new SourceFailure(
        `${url.host} served a Git LFS pointer file (${head.length} B), not the model`,
      );
    }
    if (have > 0 && status === 200) a.meter.reset(); // the server ignored the range: start again
  }
  if (Number.isFinite(declared) && declared !== target.bytes - from) {
    res.destroy();
    throw new SourceFailure(
      `${url.host} sends ${declared} bytes where ${target.bytes - from} were expected (not the catalogue's file)`,
    );
  }
  if (from === 0 || !state.hash || state.hashed !== from) {
    state.hash = from === 0 ? createHash('sha256') : await hashOf(part);
    state.hashed = from;
  }
  const fh = await open(part, from === 0 ? 'w' : 'a');
  let written = from;
  try {
    while (!first.done) {
      const chunk = first.value;
      if (written + chunk.length > target.bytes) {
        res.destroy();
        throw new SourceFailure(`${url.host} sent more than the ${target.bytes} bytes expected`);
      }
      await fh.write(chunk);
      state.hash.update(chunk);
      written += chunk.length;
      state.hashed = written;
      state.fetched += chunk.length;
      a.meter.update(written);
      first = (await body.next()) as IteratorResult<Buffer>;
    }
  } finally {
    await fh.close();
  }
  if (written < target.bytes)
    throw new Error(`${url.host} closed the connection at ${mib(written)} of ${mib(target.bytes)}`);
}

async function fromSource(a: Attempt, signal: AbortSignal): Promise<void> {
  for (let resumes = 0; ; resumes++) {
    const before = await sizeOf(a.part);
    try {
      await fetchOnce(a);
      return;
    } catch (err) {
      if (signal.aborted || err instanceof SourceFailure || err instanceof AppError) throw err;
      const after = await sizeOf(a.part);
      // A cut that still brought bytes resumes at once; one that brought none is this source's
      // failure (refused, unreachable, timed out).
      if (after <= before || resumes >= MAX_RESUMES)
        throw new SourceFailure((err as Error).message);
    }
  }
}

async function verify(a: Attempt): Promise<void> {
  const { target, part, state } = a;
  const size = await sizeOf(part);
  const hash = state.hash && state.hashed === size ? state.hash : await hashOf(part);
  const sha = hash.digest('hex');
  state.hash = null;
  if (size === target.bytes && sha === target.sha256) return;
  await rm(part, { force: true });
  throw new SourceFailure(
    `the file from ${a.source.label} has ${size} B and sha256 ${sha.slice(0, 16)}..., not ${target.bytes} B and ${target.sha256.slice(0, 16)}...: the download was deleted`,
  );
}

/**
 * Downloads `target` from the first source that serves its exact bytes. Throws
 * DOWNLOAD_CANCELLED (the .part kept for a resume) or DOWNLOAD_FAILED (every source's reason,
 * the address to fetch by hand and the import command).
 */
export async function downloadModel(
  target: DownloadTarget,
  o: DownloadOptions,
): Promise<Downloaded> {
  const signal = o.signal ?? new AbortController().signal;
  await mkdir(downloadsDir(o.dataDir), { recursive: true });
  const part = partFile(o.dataDir, target.id);
  // Two gets of one model (two terminals, the app and the CLI) would write one .part at once.
  return withFileLock(
    `${part}.lock`,
    async () => {
      const reasons: string[] = [];
      const state = { hash: null, hashed: 0, fetched: 0 };
      for (const source of o.sources) {
        const a: Attempt = {
          target,
          part,
          source,
          state,
          http: { signal, env: o.env ?? process.env, ca: o.ca, idleMs: o.idleMs ?? 30_000 },
          meter: new RateMeter(
            (received, rateBps, etaS) =>
              o.onProgress?.({
                id: target.id,
                source: source.label,
                received,
                total: target.bytes,
                rateBps,
                etaS,
              }),
            target.bytes,
            o.progressEveryMs ?? 250,
          ),
        };
        try {
          a.meter.update(await sizeOf(part), true);
          await fromSource(a, signal);
          await verify(a);
          a.meter.update(target.bytes, true);
          return { file: part, source, fetched: state.fetched };
        } catch (err) {
          if (signal.aborted) {
            const kept = await sizeOf(part);
            throw new AppError(
              'DOWNLOAD_CANCELLED',
              `the download of ${target.id} was cancelled at ${mib(kept)} of ${mib(target.bytes)}; get it again to resume`,
            );
          }
          if (!(err instanceof SourceFailure)) throw err;
          reasons.push(`${source.label}: ${err.message}`);
        }
      }
      const file = target.path.split('/').pop()!;
      throw new AppError(
        'DOWNLOAD_FAILED',
        `could not get ${target.id} (${reasons.join('; ')}). Fetch ${o.manualUrl} by hand, then run: mchair model import ${file}`,
      );
    },
    1000,
  );
}
