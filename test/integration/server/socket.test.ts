// The WebSocket adapter of `mchair serve`, against the real core: every contract command is
// reachable and refuses an invalid argument, core events reach the page, and a socket without the
// token, from a foreign origin or under a foreign host name is refused before it opens.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { commandNames, type Envelope } from '../../../src-main/contract/index';
import { SOCKET_PATH, type SocketFrame } from '../../../src-main/contract/socket';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { startServer, type RunningServer } from '../../../src-main/server/index';
import { samples, tooLongToSample } from '../contract/samples';

let dataDir: string;
let rendererDir: string;
let core: Core;
let server: RunningServer;

interface PageSocket {
  call(name: string, args: unknown): Promise<Envelope<unknown>>;
  readonly events: Array<Extract<SocketFrame, { kind: 'event' }>>;
  readonly ws: WebSocket;
}

function socketUrl(token = server.token): string {
  return `ws://127.0.0.1:${server.port}${SOCKET_PATH}?token=${encodeURIComponent(token)}`;
}

function openPage(url = socketUrl(), headers: Record<string, string> = {}): Promise<PageSocket> {
  const ws = new WebSocket(url, {
    headers: { Origin: `http://127.0.0.1:${server.port}`, ...headers },
  });
  const waiting = new Map<number, (e: Envelope<unknown>) => void>();
  const events: PageSocket['events'] = [];
  let nextId = 1;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as SocketFrame;
    if (frame.kind === 'reply') waiting.get(frame.id)?.(frame.envelope);
    else events.push(frame);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        events,
        call: (name, args) =>
          new Promise((done) => {
            const id = nextId++;
            waiting.set(id, done);
            ws.send(JSON.stringify({ id, name, args }));
          }),
      }),
    );
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`refused with HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

function httpGet(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path, method, headers },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-serve-data-'));
  rendererDir = await mkdtemp(join(tmpdir(), 'mchair-serve-ui-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>lab</title>');
  const log = createLogger('silent');
  core = createCore({ mode: 'serve', dataDir, log });
  server = await startServer({ core, rendererDir, host: '127.0.0.1', port: 0, log });
});

afterAll(async () => {
  await server?.close();
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(rendererDir, { recursive: true, force: true });
});

describe('the contract over the WebSocket', () => {
  it('reaches every command in the contract', async () => {
    const page = await openPage();
    for (const name of commandNames) {
      if (tooLongToSample.has(name)) continue;
      const envelope = await page.call(name, samples[name]);
      // Reached = the handler ran: a result, or the handler's own AppError; never a refusal of the
      // arguments or a crash.
      if (!envelope.ok)
        expect(envelope.error.code, `${name}: ${envelope.error.message}`).not.toMatch(
          /^(BAD_INPUT|INTERNAL)$/,
        );
      if (name === 'demo/start' && envelope.ok) {
        const { runId } = envelope.result as { runId: string };
        await page.call('run/stop', { runId });
      }
    }
    const info = await page.call('app/info', {});
    expect(info).toEqual({ ok: true, result: expect.objectContaining({ mode: 'serve', dataDir }) });
    page.ws.close();
  });

  it('refuses an invalid argument for every command, naming the command', async () => {
    const page = await openPage();
    for (const name of commandNames) {
      const envelope = await page.call(name, 'not an argument object');
      expect(envelope.ok, name).toBe(false);
      if (!envelope.ok) {
        expect(envelope.error.code).toBe('BAD_INPUT');
        expect(envelope.error.message.startsWith(name)).toBe(true);
      }
    }
    const unknown = await page.call('app/format-disk', {});
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('unknown command') },
    });
    page.ws.close();
  });

  it('pushes core events to every open page', async () => {
    const [a, b] = await Promise.all([openPage(), openPage()]);
    core.events.emit('run/state', { runId: 'r-events', state: 'running', message: null });
    await expect.poll(() => a.events.length + b.events.length).toBe(2);
    expect(a.events[0]).toEqual({
      kind: 'event',
      name: 'run/state',
      payload: { runId: 'r-events', state: 'running', message: null },
    });
    a.ws.close();
    b.ws.close();
  });

  it('ends the conversation on a frame that is not a call', async () => {
    const page = await openPage();
    const closed = new Promise<number>((resolve) => page.ws.once('close', (code) => resolve(code)));
    page.ws.send('{"id": "x", "name": 5}');
    expect(await closed).toBe(1008);
  });
});

describe('who may open the socket', () => {
  it('refuses a wrong or missing token', async () => {
    await expect(openPage(socketUrl('wrong-token'))).rejects.toThrow('HTTP 401');
    await expect(openPage(`ws://127.0.0.1:${server.port}${SOCKET_PATH}`)).rejects.toThrow(
      'HTTP 401',
    );
  });

  it('refuses a page from another origin even with the token', async () => {
    await expect(openPage(socketUrl(), { Origin: 'http://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
  });

  it('refuses a host name that is not this server (DNS rebinding)', async () => {
    await expect(
      openPage(socketUrl(), {
        Host: `evil.example:${server.port}`,
        Origin: `http://evil.example:${server.port}`,
      }),
    ).rejects.toThrow('HTTP 403');
    expect((await httpGet('/', 'GET', { Host: `evil.example:${server.port}` })).status).toBe(403);
  });

  it('accepts localhost as a name of this server', async () => {
    const page = await openPage(socketUrl(), {
      Host: `localhost:${server.port}`,
      Origin: `http://localhost:${server.port}`,
    });
    expect(await page.call('run/list', {})).toMatchObject({ ok: true });
    page.ws.close();
  });
});

describe('the page itself', () => {
  it('serves index.html with headers that keep the token from leaking', async () => {
    const res = await httpGet('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>lab</title>');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('serves nothing outside the renderer folder and only GET/HEAD', async () => {
    // A real file beside the renderer folder: reachable only by climbing out of it.
    const beside = `${rendererDir}-beside.txt`;
    await writeFile(beside, 'not for the page');
    const name = beside.slice(beside.lastIndexOf('/') + 1);
    try {
      for (const path of [`/%2e%2e/${name}`, `/..%2f${name}`, `/assets/%2e%2e/%2e%2e/${name}`]) {
        expect((await httpGet(path)).status, path).toBe(404);
      }
    } finally {
      await rm(beside, { force: true });
    }
    expect((await httpGet('/missing.js')).status).toBe(404);
    expect((await httpGet('/', 'POST')).status).toBe(405);
  });
});
