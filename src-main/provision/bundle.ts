// What goes onto a board, as a list of files with their sha256: the agent bundle, the onnxruntime
// package files for the board's architecture and backend (taken from the app's own node_modules,
// since the board has no internet), the model partitions, and per-device files (TLS, config, unit)
// staged locally first. Remote paths are relative to the agent's folder on the board.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import { AppError } from '../contract/errors';
import { plainIssues } from '../files/kind';
import { Manifest } from '../contract/manifest';
import type { Runtime } from './probe';

export type PushKind = 'agent' | 'runtime' | 'model' | 'tls' | 'config' | 'unit' | 'node';

export interface PushItem {
  kind: PushKind;
  local: string;
  /** Relative to the agent folder, or to the home folder when `fromHome` is set (user units). */
  remote: string;
  fromHome?: boolean;
  sha256: string;
  size: number;
  mode: number;
}

const hashes = new Map<string, Promise<{ sha256: string; size: number }>>();

/** sha256 of a local file, computed once per file version (path, size and mtime) per process. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const st = await stat(path);
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let h = hashes.get(key);
  if (!h) {
    h = new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(path)
        .on('data', (d) => hash.update(d))
        .on('error', reject)
        .on('end', () => resolve({ sha256: hash.digest('hex'), size: st.size }));
    });
    hashes.set(key, h);
  }
  return h;
}

export async function item(
  kind: PushKind,
  local: string,
  remote: string,
  mode = 0o644,
  fromHome = false,
): Promise<PushItem> {
  try {
    return {
      kind,
      local,
      remote,
      mode,
      ...(fromHome ? { fromHome } : {}),
      ...(await hashFile(local)),
    };
  } catch (err) {
    throw new AppError(
      'MISSING_FILE',
      `cannot read ${local} (${(err as NodeJS.ErrnoException).code ?? 'error'}), needed on the boards as ${remote}`,
    );
  }
}

const require = createRequire(import.meta.url);

/** The folder of an installed package, found like Node finds it (some do not export package.json). */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new AppError(
    'RUNTIME_MISSING',
    `the ${name} package is not installed next to the app; reinstall the app (npm ci)`,
  );
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function packageItems(name: string, pick: (rel: string) => boolean): Promise<PushItem[]> {
  const dir = packageDir(name);
  const files = (await walk(dir))
    // Remote paths are POSIX whatever the laptop runs.
    .map((f) => relative(dir, f).split(sep).join('/'))
    .filter((rel) => rel === 'package.json' || pick(rel));
  return Promise.all(
    files.sort().map((rel) => item('runtime', join(dir, rel), `node_modules/${name}/${rel}`)),
  );
}

// Source maps and type declarations are of no use on a board.
const runnable = (rel: string): boolean =>
  rel.startsWith('dist/') && !/\.(map|d\.ts|d\.mts)$/.test(rel);

/**
 * onnxruntime for one board: onnxruntime-node with only that architecture's binaries (45 MB for
 * x64 instead of 400 MB for all), or onnxruntime-web's Node build and its one WebAssembly file.
 */
export async function runtimeItems(runtime: Runtime, arch: string): Promise<PushItem[]> {
  const common = await packageItems('onnxruntime-common', runnable);
  if (runtime === 'native') {
    const bin = `bin/napi-v6/linux/${arch}/`;
    const node = await packageItems(
      'onnxruntime-node',
      (rel) => (runnable(rel) && rel.endsWith('.js')) || rel.startsWith(bin),
    );
    if (!node.some((i) => i.remote.includes(`/${bin}`))) {
      throw new AppError(
        'UNSUPPORTED_ARCH',
        `onnxruntime-node ships no binaries for linux/${arch}; the WebAssembly backend is needed`,
      );
    }
    return [...common, ...node];
  }
  const web = await packageItems('onnxruntime-web', (rel) =>
    /^dist\/(ort\.node\.min\.m?js|ort-wasm-simd-threaded\.(mjs|wasm))$/.test(rel),
  );
  return [...common, ...web];
}

/** Partitions from a `mchair partition` folder; each local file must match its manifest hash. */
export async function modelItems(
  partitionDir: string,
): Promise<{ model: string; items: PushItem[] }> {
  const manifestPath = join(partitionDir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    throw new AppError(
      'BAD_PARTITIONS',
      `${manifestPath} is missing or not JSON; point --partitions at a folder written by \`mchair partition\``,
    );
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success)
    throw new AppError('BAD_PARTITIONS', plainIssues(manifestPath, 'manifest', raw, parsed.error));
  const parts = parsed.data.stages.flatMap((s) => s.parts);
  const items = await Promise.all(
    [...new Map(parts.map((p) => [p.file, p])).values()].map(async (p) => {
      const it = await item('model', join(partitionDir, p.file), `parts/${p.file}`);
      if (it.sha256 !== p.sha256) {
        throw new AppError(
          'BAD_PARTITIONS',
          `${it.local} does not match its manifest (sha256 ${it.sha256.slice(0, 12)}…, manifest says ${p.sha256.slice(0, 12)}…); partition the model again`,
        );
      }
      return it;
    }),
  );
  return { model: parsed.data.model, items };
}

export function totalBytes(items: readonly PushItem[]): number {
  return items.reduce((n, i) => n + i.size, 0);
}

/** Remote folders an item list needs, so one `mkdir -p` makes them all. */
export function remoteDirs(items: readonly PushItem[]): string[] {
  return [
    ...new Set(
      items
        .filter((i) => !i.fromHome)
        .map((i) => posix.dirname(i.remote))
        .filter((d) => d !== '.'),
    ),
  ].sort();
}
