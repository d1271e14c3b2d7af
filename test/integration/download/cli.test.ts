// `mchair model get` and `mchair model catalogue` as a user runs them: the built CLI in a child
// process trusting the test CA (NODE_EXTRA_CA_CERTS), fetching the trained float16 SqueezeNet of
// the fixtures from a local HTTPS mirror into a fresh data folder, where the library wraps it
// under its catalogue card. Every other address goes to a proxy that refuses: nothing leaves the
// machine.
import { spawn } from 'node:child_process';
import { existsSync, statSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueEntry } from '../../../src-main/model/catalogue';
import { runMchairWith } from '../cli/run-mchair';
import { refusedPort, sealedEnv, startZooServer, type ZooServer } from './zooServer';

const fixture = readFileSync('test/fixtures/squeezenet1.1-fp16/model.onnx');
const entry = catalogueEntry('squeezenet1.1-fp16')!;
const dir = mkdtempSync(join(tmpdir(), 'mchair-get-cli-'));
const data = join(dir, 'data');
let server: ZooServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startZooServer();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, server.ca);
  env = sealedEnv(caFile, await refusedPort());
  server.routes.set(`/lab/${entry.path}`, { kind: 'serve', bytes: fixture });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const mchair = (...args: string[]) => runMchairWith(env, '--data-dir', data, ...args);

describe('mchair model get', () => {
  it('gets a catalogue model from a --mirror, checks it and adds it with its card', async () => {
    const r = await mchair('model', 'get', 'squeezenet1.1-fp16', '--mirror', `${server.base}/lab/`);
    expect(r.stderr).toMatch(
      /squeezenet1\.1-fp16 from mirror https:\/\/127\.0\.0\.1:\d+\/lab: 2\.4 of 2\.4 MiB/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /squeezenet1\.1-fp16: 2\.4 MiB from mirror .*sha256 checked, added to the library/,
    );
    const card = JSON.parse(
      readFileSync(join(data, 'models', 'squeezenet1.1-fp16.card.json'), 'utf8'),
    );
    expect(card.source.sha256).toBe(entry.sha256);
    expect(existsSync(join(data, 'models', 'squeezenet1.1-fp16.onnx'))).toBe(true);
    expect(existsSync(join(data, 'models', '.downloads', 'squeezenet1.1-fp16.part'))).toBe(false);

    const again = await mchair('model', 'get', 'squeezenet1.1-fp16', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      name: 'squeezenet1.1-fp16',
      source: null,
      fetched: 0,
      bytes: entry.bytes,
    });

    const cat = await mchair('model', 'catalogue', '--json');
    expect(cat.code).toBe(0);
    const rows = JSON.parse(cat.stdout).entries as Array<{ id: string; inLibrary: boolean }>;
    expect(rows.filter((e) => e.inLibrary).map((e) => e.id)).toEqual(['squeezenet1.1-fp16']);
    expect(rows.map((e) => e.id)).toEqual(
      expect.arrayContaining(['squeezenet1.1-7', 'vgg16-12-int8']),
    );
  });

  it('offline: one line with the address to fetch by hand and the import command', async () => {
    const dead = await refusedPort();
    const r = await mchair(
      'model',
      'get',
      'mobilenetv2-12-int8',
      '--mirror',
      `https://127.0.0.1:${dead}`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('huggingface.co: proxy 127.0.0.1:');
    expect(r.stderr).toMatch(
      /Fetch https:\/\/huggingface\.co\/onnxmodelzoo\/legacy_models\/resolve\/main\/validated\/vision\/classification\/mobilenet\/model\/mobilenetv2-12-int8\.onnx by hand, then run: mchair model import mobilenetv2-12-int8\.onnx \[DOWNLOAD_FAILED\]$/m,
    );
    expect(existsSync(join(data, 'models', 'mobilenetv2-12-int8.onnx'))).toBe(false);
  });

  it('stops at Ctrl-C, keeping the bytes so far for the next get to resume', async () => {
    const slow = catalogueEntry('googlenet-12-int8')!;
    server.routes.set(`/lab/${slow.path}`, {
      kind: 'slow',
      bytes: Buffer.alloc(slow.bytes, 3),
      chunk: 64 * 1024,
      everyMs: 50,
    });
    const child = spawn(
      process.execPath,
      [
        'bin/mchair.js',
        '--data-dir',
        data,
        'model',
        'get',
        slow.id,
        '--mirror',
        `${server.base}/lab`,
      ],
      { env: { ...process.env, ...env } },
    );
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const part = join(data, 'models', '.downloads', `${slow.id}.part`);
    // Plain lines on a pipe: the first one comes with the first bytes.
    await new Promise<void>((resolve) =>
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (/of 6\.8 MiB/.test(stderr) && existsSync(part) && statSync(part).size > 0) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^mchair: the download of googlenet-12-int8 was cancelled at \d+\.\d MiB of 6\.8 MiB; get it again to resume \[DOWNLOAD_CANCELLED\]$/,
    );
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(slow.bytes);
  });

  it('draws a progress bar on a terminal', async () => {
    const tty = join(dir, 'tty-data');
    server.routes.set(`/tty/${entry.path}`, {
      kind: 'slow',
      bytes: fixture,
      chunk: 128 * 1024,
      everyMs: 40,
    });
    // util-linux's script gives the command a pseudo-terminal, as a user's shell does.
    const command = [process.execPath, 'bin/mchair.js', '--data-dir', tty, 'model', 'get', entry.id]
      .concat(['--mirror', `${server.base}/tty`])
      .join(' ');
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { ...process.env, ...env },
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.once('exit', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    const frames = r.out.split('\r').filter((f) => f.startsWith('['));
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames[0]).toMatch(/^\[#{0,23}\.{1,24}\] squeezenet1\.1-fp16 from mirror /);
    expect(frames.at(-1)).toMatch(
      /^\[#{24}\] squeezenet1\.1-fp16 from mirror \S+: 2\.4 of 2\.4 MiB, [\d.]+ MiB\/s/,
    );
    expect(r.out).toMatch(/added to the library/);
  });

  it('refuses a mirror that is not an http(s) base URL, and an unknown name', async () => {
    const bad = await mchair('model', 'get', 'squeezenet1.1-7', '--mirror', 'ftp://10.0.0.1/zoo');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'mchair: mirror ftp://10.0.0.1/zoo must start with https:// or http://\n',
    );
    const unknown = await mchair('model', 'get', 'resnet9000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^mchair: no trained model "resnet9000" in the catalogue; choose from squeezenet1\.1-7, /,
    );
  });
});
