// The Node a board gets when it has none that fits: the official binaries the app carries
// (resources/board-node/, fetched by scripts/board-node.mjs from the npm registry, pinned by
// integrity) or a tarball the user gives. Either is read on the laptop before anything is sent:
// the ELF header of its bin/node says which CPU it is for, so a wrong one is refused up front
// instead of failing on the board as "cannot execute binary file".
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { AppError } from '../contract/errors';

/** Node's names for the CPUs whose Node the app carries. */
export type NodeArch = 'arm64' | 'arm' | 'x64';

export interface NodeTarball {
  file: string;
  /** Which CPU bin/node is for, from its ELF header (Node's arch names, or `elf machine N`). */
  arch: string;
  /** From the folder name inside (node-v16.20.2-linux-arm64/) or the npm package's version. */
  version: string | null;
  /** gzip boards can always unpack; xz needs xz on the board. */
  compression: 'gzip' | 'xz';
  /** Bytes bin/node takes once unpacked (most of the unpacked size). */
  nodeBytes: number;
  /** The app's own copy, or one the user passed. */
  source: 'app' | 'given';
}

const Pins = z.record(
  z.enum(['arm64', 'arm', 'x64']),
  z.object({ package: z.string(), version: z.string(), integrity: z.string() }),
);

/** resources/board-node beside the code (CLI, dev app), or in the packaged app's resources. */
function boardNodeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'resources', 'board-node');
    if (existsSync(join(candidate, 'pins.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged) return join(packaged, 'resources', 'board-node');
  throw new AppError('RUNTIME_MISSING', 'resources/board-node is missing; reinstall the app');
}

/** The app's own Node tarball for `arch`, or null when it carries none for that CPU. */
export function appNodeTarball(arch: string): { file: string; version: string } | null {
  const dir = boardNodeDir();
  const pins = Pins.parse(JSON.parse(readFileSync(join(dir, 'pins.json'), 'utf8')));
  const pin = pins[arch as NodeArch];
  if (!pin) return null;
  const file = join(dir, `${pin.package}-${pin.version}.tgz`);
  if (!existsSync(file)) {
    throw new AppError(
      'RUNTIME_MISSING',
      `the app's Node for ${arch} boards (${file.split(sep).at(-1)}) is missing; run \`npm ci\` or \`node scripts/board-node.mjs\``,
    );
  }
  return { file, version: pin.version };
}

// ELF e_machine values (the ELF spec's table) and the names Node gives those CPUs.
const ELF_MACHINES: Record<number, string> = {
  3: 'ia32',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x64',
  183: 'arm64',
  243: 'riscv64',
  258: 'loong64',
};

function octal(b: Buffer): number {
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? Number.parseInt(s, 8) : 0;
}

interface Found {
  path: string;
  size: number;
  head: Buffer;
}

/**
 * Reads a tar stream until the first regular file named .../bin/node and returns its path, size
 * and first 20 bytes (enough for the ELF header's class and machine). ustar and pax long names.
 */
function findNode(stream: Readable): Promise<Found | null> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let skip = 0;
    let paxPath: string | null = null;
    let want: { path: string; size: number; pax: boolean } | null = null;
    const done = (v: Found | null): void => {
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(v);
    };
    stream.on('error', reject);
    stream.on('end', () => resolve(null));
    stream.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) return;
        }
        if (want) {
          const need = want.pax ? want.size : Math.min(20, want.size);
          if (buf.length < need) return;
          if (!want.pax)
            return done({ path: want.path, size: want.size, head: buf.subarray(0, 20) });
          paxPath =
            /\d+ path=([^\n]*)\n/.exec(buf.subarray(0, want.size).toString('utf8'))?.[1] ?? null;
          skip = Math.ceil(want.size / 512) * 512;
          want = null;
          continue;
        }
        if (buf.length < 512) return;
        const h = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (h.every((b) => b === 0)) return done(null);
        const type = String.fromCharCode(h[156]!);
        const size = octal(h.subarray(124, 136));
        const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
        const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
        const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
        paxPath = null;
        if (type === 'x') {
          want = { path, size, pax: true };
        } else if ((type === '0' || type === '\0') && /(^|\/)bin\/node$/.test(path) && size > 20) {
          want = { path, size, pax: false };
        } else {
          skip = Math.ceil(size / 512) * 512;
        }
      }
    });
  });
}

/** The decompressed tar stream; for xz, through this laptop's xz (Node has no xz decoder). */
function tarStream(file: string, compression: 'gzip' | 'xz'): Readable {
  if (compression === 'gzip') return createReadStream(file).pipe(createGunzip());
  // Without xz here the stream just ends empty, and the caller says so.
  const child = spawn('xz', ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', () => child.stdout.destroy());
  return child.stdout.on('close', () => child.kill());
}

/** Reads a Node tarball (nodejs.org's .tar.gz/.tar.xz, or an npm node-linux-* .tgz). */
export async function readNodeTarball(
  file: string,
  source: NodeTarball['source'],
): Promise<NodeTarball> {
  const compression = /\.(tar\.xz|txz)$/i.test(file)
    ? 'xz'
    : /\.(tar\.gz|tgz)$/i.test(file)
      ? 'gzip'
      : null;
  if (!compression) {
    throw new AppError(
      'BAD_NODE_TARBALL',
      `${file} is not a Node tarball (.tar.xz, .tar.gz or .tgz); pass one from nodejs.org/dist, e.g. node-v20.20.2-linux-arm64.tar.xz`,
    );
  }
  if (!existsSync(file))
    throw new AppError('MISSING_FILE', `${file} does not exist; check the --node-tarball path`);
  let found: Found | null;
  try {
    found = await findNode(tarStream(file, compression));
  } catch (err) {
    throw new AppError(
      'BAD_NODE_TARBALL',
      `${file} cannot be read as a ${compression} tarball (${(err as Error).message}); download it again`,
    );
  }
  if (!found) {
    throw new AppError(
      'BAD_NODE_TARBALL',
      `${file} holds no bin/node${compression === 'xz' ? ' (or this computer has no xz to read it)' : ''}; pass a Linux Node tarball from nodejs.org/dist`,
    );
  }
  const h = found.head;
  if (h.readUInt32BE(0) !== 0x7f454c46) {
    throw new AppError(
      'BAD_NODE_TARBALL',
      `${found.path} in ${file} is not a Linux program (no ELF header); pass a Linux Node tarball`,
    );
  }
  // e_machine is at byte 18, in the byte order EI_DATA (byte 5) names.
  const machine = h[5] === 2 ? h.readUInt16BE(18) : h.readUInt16LE(18);
  const version =
    /node-v(\d+\.\d+\.\d+)/.exec(found.path)?.[1] ??
    /-(\d+\.\d+\.\d+)\.tgz$/.exec(file)?.[1] ??
    null;
  return {
    file,
    arch: ELF_MACHINES[machine] ?? `elf machine ${machine}`,
    version,
    compression,
    nodeBytes: found.size,
    source,
  };
}

export type NodeTarballs = (arch: string) => Promise<NodeTarball | null>;

/**
 * The Node tarballs provisioning may push, one per CPU: the user's (each read and checked before
 * any board is touched, at most one per CPU), else the app's own, read on first use.
 */
export async function nodeTarballs(given: readonly string[]): Promise<NodeTarballs> {
  const byArch = new Map<string, Promise<NodeTarball | null>>();
  const seen = new Map<string, string>();
  for (const file of given) {
    const t = await readNodeTarball(file, 'given');
    const twin = seen.get(t.arch);
    if (twin) {
      throw new AppError(
        'BAD_NODE_TARBALL',
        `${twin} and ${file} are both for ${t.arch} boards; pass one Node tarball per architecture`,
      );
    }
    seen.set(t.arch, file);
    byArch.set(t.arch, Promise.resolve(t));
  }
  return (arch) => {
    let t = byArch.get(arch);
    // The user chose which Node the boards get: a board of another CPU is not silently given a
    // different one.
    if (!t && seen.size > 0) {
      const files = [...seen].map(([a, f]) => `${f} is for ${a}`).join(', ');
      return Promise.reject(
        new AppError(
          'BAD_NODE_TARBALL',
          `${files}, not for this ${arch} board: pass a Node tarball for ${arch} too, or leave out --node-tarball to push the app's own Node`,
        ),
      );
    }
    if (!t) {
      const own = appNodeTarball(arch);
      t = own ? readNodeTarball(own.file, 'app') : Promise.resolve(null);
      byArch.set(arch, t);
    }
    return t;
  };
}
