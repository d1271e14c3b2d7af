// Issue 9.2/9.4 for `mchair serve`: request targets no browser would send (a malformed URL on a
// plain GET and on a WebSocket upgrade) get a refusal, and the server stays up for its real page.
// The token, origin and host checks themselves are in test/integration/server/socket.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawRequest, startServe, type ServeProcess } from './serve';

let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mchair-serve-hostile-'));
  serve = await startServe(dir);
});
afterAll(async () => {
  await serve?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('mchair serve under hostile request targets', () => {
  it('refuses a malformed GET target with 400 and a malformed upgrade with 403, and keeps serving', async () => {
    const host = `Host: 127.0.0.1:${serve.port}`;
    const get = await rawRequest(
      serve.port,
      `GET //[x HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`,
    );
    expect(get).toMatch(/^HTTP\/1\.1 400/);
    const upgrade = await rawRequest(
      serve.port,
      `GET //[x?token=${serve.token} HTTP/1.1\r\n${host}\r\nOrigin: http://127.0.0.1:${serve.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 403/);
    expect(serve.alive()).toBe(true);
    // The real page still gets its socket.
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/contract?token=${serve.token}`, {
      headers: { Origin: `http://127.0.0.1:${serve.port}` },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.close();
  });
});
