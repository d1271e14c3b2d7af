// The Electron adapter pair (sandboxed preload bridge + main-process IPC handler), both derived
// from the contract, against the real core: every command is reachable, every invalid argument is
// refused, a foreign frame is refused before anything runs, and core events reach the page.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandNames, type Envelope } from '../../../src-main/contract/index';
import { createCore, type Core } from '../../../src-main/core/index';
import { buildBridge, type Bridge } from '../../../src-main/electron/bridge';
import { registerIpc } from '../../../src-main/electron/ipc';
import { appUrlMatcher } from '../../../src-main/electron/security';
import { createLogger } from '../../../src-main/log';
import { IpcPair } from './electron-ipc';
import { samples, tooLongToSample } from './samples';

const appPage = pathToFileURL('/opt/musical-chair-lab/out/renderer/index.html').href;
const isAppUrl = appUrlMatcher(appPage);

let dataDir: string;
let core: Core;
let ipc: IpcPair;
let bridge: Bridge;
let unregister: () => void;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-ipc-'));
  core = createCore({ mode: 'electron', dataDir, log: createLogger('silent') });
  ipc = new IpcPair(appPage);
  unregister = registerIpc(ipc.main, core, isAppUrl, () => [ipc.target]);
  bridge = buildBridge(ipc.renderer);
});

afterAll(async () => {
  unregister?.();
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the contract over Electron IPC', () => {
  it('derives one handler and one bridge function per command, no more', () => {
    expect(ipc.handlerCount).toBe(commandNames.length);
    expect(Object.keys(bridge.commands).sort()).toEqual([...commandNames].sort());
  });

  it('reaches every command in the contract', async () => {
    for (const name of commandNames) {
      if (tooLongToSample.has(name)) continue;
      const envelope = await bridge.commands[name](samples[name]);
      if (!envelope.ok) {
        expect(envelope.error.code, `${name}: ${envelope.error.message}`).not.toMatch(
          /^(BAD_INPUT|INTERNAL|FORBIDDEN)$/,
        );
      }
      if (name === 'demo/start' && envelope.ok) {
        const { runId } = envelope.result as { runId: string };
        await bridge.commands['run/stop']({ runId });
      }
    }
    const info = await bridge.commands['app/info']({});
    expect(info).toEqual({
      ok: true,
      result: expect.objectContaining({ mode: 'electron', dataDir }),
    });
  });

  it('refuses an invalid argument for every command with a one-line BAD_INPUT naming it', async () => {
    for (const name of commandNames) {
      const envelope = await bridge.commands[name]('not an argument object');
      expect(envelope.ok, name).toBe(false);
      if (!envelope.ok) {
        expect(envelope.error).toMatchObject({ name: 'AppError', code: 'BAD_INPUT' });
        expect(envelope.error.message.startsWith(name)).toBe(true);
        expect(envelope.error.message).not.toContain('\n');
      }
    }
  });

  it('refuses a call from a frame that is not the app page, before the handler runs', async () => {
    const before = (await bridge.commands['devices/list']({})) as Envelope<{ devices: unknown[] }>;
    ipc.frameUrl = 'https://example.invalid/evil.html';
    try {
      const refused = await bridge.commands['devices/add']({
        device: { name: 'intruder', host: '127.0.0.9', user: 'x' },
      });
      expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    } finally {
      ipc.frameUrl = appPage;
    }
    const after = await bridge.commands['devices/list']({});
    expect(after).toEqual(before);
  });

  it('delivers core events to the page, and only the ones it subscribed to', () => {
    const seen: unknown[] = [];
    const off = bridge.on('run/state', (p) => seen.push(p));
    core.events.emit('run/state', { runId: 'r-1', state: 'running', message: null });
    core.events.emit('run/metrics', {
      runId: 'r-1',
      t: 1,
      sent: 1,
      completed: 1,
      dropped: 0,
      ips: 1,
      latencyP50Ms: 1,
      latencyP95Ms: 1,
      devices: [],
    });
    off();
    core.events.emit('run/state', { runId: 'r-1', state: 'done', message: null });
    expect(seen).toEqual([{ runId: 'r-1', state: 'running', message: null }]);
    expect(() => bridge.on('no/such-event' as 'run/state', () => {})).toThrow(/unknown event/);
  });
});

describe('appUrlMatcher', () => {
  it('accepts the renderer folder and the dev server, nothing else', () => {
    const dev = appUrlMatcher(appPage, 'http://localhost:5173/');
    expect(dev('http://localhost:5173/#/run')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
    expect(isAppUrl(`${appPage}#/farm`)).toBe(true);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('file:///opt/musical-chair-lab/out/renderer-evil/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/')).toBe(false);
  });
});
