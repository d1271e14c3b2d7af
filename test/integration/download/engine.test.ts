// The download engine against a local HTTPS zoo with its own CA: a test catalogue entry whose file
// is a generated exporter-style CNN, fetched through every fault a real link has.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeModel, sha256Hex } from '../../../src-main/model/onnx';
import { downloadModel, partFile } from '../../../src-main/model/download/download';
import { manualUrlOf, sourcesOf } from '../../../src-main/model/download/sources';
import type { DownloadProgress } from '../../../src-main/model/download/rate';
import { AppError } from '../../../src-main/contract/errors';
import { pytorchCnn } from '../../unit/model/exporters';
import { refusedPort, startProxy, startZooServer, type ZooServer } from './zooServer';

const bytes = Buffer.from(encodeModel(pytorchCnn()));
const entry = {
  id: 'test-cnn',
  path: 'validated/vision/classification/test/model/test-cnn.onnx',
  bytes: bytes.length,
  sha256: sha256Hex(bytes),
};
const treePath = `/${entry.path}`;

let server: ZooServer;
let dataDir: string;
const env = {}; // no proxy from the machine's environment unless a test sets one

beforeAll(async () => {
  server = await startZooServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.routes.clear();
  server.requests.length = 0;
  dataDir = mkdtempSync(join(tmpdir(), 'mchair-dl-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function get(
  mirrors: string[],
  hosts: string[] = [],
  more: Partial<Parameters<typeof downloadModel>[1]> = {},
) {
  return downloadModel(entry, {
    dataDir,
    sources: sourcesOf(entry, mirrors, hosts),
    manualUrl: manualUrlOf(entry, hosts.length ? hosts : ['https://zoo.invalid/root']),
    ca: server.ca,
    env,
    idleMs: 5000,
    ...more,
  });
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const mirror = (name: string) => `${server.base}/${name}`;
const at = (name: string) => `/${name}${treePath}`;

describe('downloading a catalogue entry', () => {
  it('fetches the whole file from a mirror, with progress, and checks it', async () => {
    expect(bytes.length).toBeGreaterThan(100_000);
    server.routes.set(at('lab'), { kind: 'serve', bytes });
    const seen: DownloadProgress[] = [];
    const got = await get([mirror('lab')], [], { onProgress: (p) => seen.push(p) });
    expect(readFileSync(got.file).equals(bytes)).toBe(true);
    expect(got.source.label).toBe(`mirror ${mirror('lab')}`);
    expect(got.fetched).toBe(bytes.length);
    expect(server.sent()).toBeGreaterThanOrEqual(bytes.length);
    expect(seen[0]).toMatchObject({ id: 'test-cnn', received: 0, total: bytes.length });
    expect(seen.at(-1)).toMatchObject({ received: bytes.length, total: bytes.length });
  });

  it('resumes a cut download with a Range: no byte fetched twice', async () => {
    server.routes.set(at('lab'), { kind: 'cut-once', bytes, after: 40_000 });
    const before = server.sent();
    const got = await get([mirror('lab')]);
    expect(readFileSync(got.file).equals(bytes)).toBe(true);
    expect(server.sent() - before).toBe(bytes.length);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
  });

  it('resumes from a .part left by an earlier run', async () => {
    mkdirp(partFile(dataDir, entry.id));
    writeFileSync(partFile(dataDir, entry.id), bytes.subarray(0, 12_345));
    server.routes.set(at('lab'), { kind: 'serve', bytes });
    const before = server.sent();
    const got = await get([mirror('lab')]);
    expect(readFileSync(got.file).equals(bytes)).toBe(true);
    expect(got.fetched).toBe(bytes.length - 12_345);
    expect(server.sent() - before).toBe(bytes.length - 12_345);
  });

  it('starts again when a server answers a range with the whole file', async () => {
    mkdirp(partFile(dataDir, entry.id));
    writeFileSync(partFile(dataDir, entry.id), Buffer.alloc(5000, 7)); // not even the right bytes
    server.routes.set(at('lab'), { kind: 'ignore-range', bytes });
    const got = await get([mirror('lab')]);
    expect(readFileSync(got.file).equals(bytes)).toBe(true);
  });

  it('goes on to the next source after a 404 (the flat layout, then the next mirror)', async () => {
    server.routes.set(at('second'), { kind: 'serve', bytes });
    const got = await get([mirror('first'), mirror('second')]);
    expect(got.source.label).toBe(`mirror ${mirror('second')}`);
    expect(server.requests.map((r) => r.path)).toEqual([
      at('first'),
      '/first/test-cnn.onnx',
      at('second'),
    ]);
  });

  it('takes a flat folder of model files as a mirror, and follows redirects to a public host', async () => {
    server.routes.set('/flat/test-cnn.onnx', { kind: 'redirect', to: `${at('cdn')}?signed=1` });
    server.routes.set(at('cdn'), { kind: 'serve', bytes });
    const got = await get([mirror('flat')]);
    expect(got.source.label).toBe(`mirror ${mirror('flat')} (flat)`);
    expect(readFileSync(got.file).equals(bytes)).toBe(true);
  });

  it('deletes a download whose sha256 is wrong and says so', async () => {
    const wrong = Buffer.from(bytes);
    wrong[wrong.length - 10]! ^= 0xff;
    server.routes.set(at('lab'), { kind: 'serve', bytes: wrong });
    const err = await failure(get([mirror('lab')]));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toMatch(
      /sha256 [0-9a-f]{16}\.\.\., not \d+ B and [0-9a-f]{16}\.\.\.: the download was deleted/,
    );
    expect(existsSync(partFile(dataDir, entry.id))).toBe(false);
  });

  it('names an LFS pointer file and the host that served it, then tries the next', async () => {
    server.routes.set(at('raw'), { kind: 'pointer', sha256: entry.sha256, size: entry.bytes });
    server.routes.set(at('hf'), { kind: 'serve', bytes });
    const got = await get([], [mirror('raw'), mirror('hf')]);
    expect(got.source.label).toBe('127.0.0.1:' + new URL(server.base).port);
    expect(server.requests.map((r) => r.path)).toEqual([at('raw'), at('hf')]);
    const err = await failure(
      (async () => {
        rmSync(partFile(dataDir, entry.id), { force: true });
        return get([], [mirror('raw')]);
      })(),
    );
    expect(err.message).toMatch(
      /127\.0\.0\.1:\d+ served a Git LFS pointer file \(\d+ B\), not the model/,
    );
  });

  it('cancels a slow download and keeps the .part for a resume', async () => {
    server.routes.set(at('slow'), { kind: 'slow', bytes, chunk: 4096, everyMs: 20 });
    const ac = new AbortController();
    const p = get([mirror('slow')], [], {
      signal: ac.signal,
      progressEveryMs: 0,
      onProgress: (pr) => {
        if (pr.received >= 20_000) ac.abort();
      },
    });
    const err = await failure(p);
    expect(err.code).toBe('DOWNLOAD_CANCELLED');
    expect(err.message).toMatch(/cancelled at .* of .*; get it again to resume/);
    const kept = statSync(partFile(dataDir, entry.id)).size;
    expect(kept).toBeGreaterThanOrEqual(20_000);
    expect(kept).toBeLessThan(bytes.length);
    server.routes.set(at('slow'), { kind: 'serve', bytes });
    const got = await get([mirror('slow')]);
    expect(got.fetched).toBe(bytes.length - kept);
  });

  it('goes through the CONNECT proxy of HTTPS_PROXY, and around it for NO_PROXY', async () => {
    const proxy = await startProxy();
    try {
      server.routes.set(at('lab'), { kind: 'serve', bytes });
      const authority = `127.0.0.1:${new URL(server.base).port}`;
      await get([mirror('lab')], [], { env: { HTTPS_PROXY: proxy.url } });
      expect(proxy.tunnels).toEqual([authority]);
      rmSync(partFile(dataDir, entry.id));
      await get([mirror('lab')], [], {
        env: { https_proxy: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
      });
      expect(proxy.tunnels).toEqual([authority]);
    } finally {
      await proxy.close();
    }
  });

  it('sends a plain http mirror request to the proxy of HTTP_PROXY', async () => {
    const lan = await startZooServer({ plain: true });
    const proxy = await startProxy();
    try {
      lan.routes.set(`/zoo/${entry.path}`, { kind: 'cut-once', bytes, after: 30_000 });
      const got = await get([`${lan.base}/zoo`], [], { env: { HTTP_PROXY: proxy.url } });
      expect(readFileSync(got.file).equals(bytes)).toBe(true);
      // The cut resumed through the proxy too, with its Range.
      expect(proxy.tunnels).toEqual([
        `${lan.base}/zoo/${entry.path}`,
        `${lan.base}/zoo/${entry.path}`,
      ]);
      expect(lan.requests.map((r) => r.range)).toEqual([undefined, 'bytes=30000-']);
    } finally {
      await proxy.close();
      await lan.close();
    }
  });

  it('offline: one line naming the address to fetch by hand and the import command', async () => {
    const port = await refusedPort();
    const err = await failure(
      get([`https://127.0.0.1:${port}/lab`], [`https://127.0.0.1:${port}/hf`]),
    );
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toMatch(
      new RegExp(
        `Fetch https://127\\.0\\.0\\.1:${port}/hf/${entry.path.replace(/\./g, '\\.')} by hand, then run: mchair model import test-cnn\\.onnx$`,
      ),
    );
  });
});

function mkdirp(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
}
