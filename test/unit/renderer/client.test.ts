// The contract client: typed calls whose failures come back as real AppErrors, and events checked
// against the contract before a view sees them.
import { describe, expect, it, vi } from 'vitest';
import {
  AppError,
  type CommandName,
  type Envelope,
  type EventName,
} from '../../../src-main/contract/index';
import { createClient } from '../../../src-main/contract/client';
import { bridgeTransport } from '../../../src-renderer/api/bridge';
import { buildBridge, type IpcRendererLike } from '../../../src-main/electron/bridge';
import { channelFor, EVENT_CHANNEL } from '../../../src-main/electron/channels';

function transportAnswering(envelope: Envelope<unknown>) {
  const listeners = new Map<EventName, (p: unknown) => void>();
  const calls: Array<[CommandName, unknown]> = [];
  return {
    calls,
    emit: (name: EventName, payload: unknown) => listeners.get(name)?.(payload),
    transport: {
      invoke: async (name: CommandName, args: unknown) => {
        calls.push([name, args]);
        return envelope;
      },
      on: (name: EventName, l: (p: unknown) => void) => {
        listeners.set(name, l);
        return () => listeners.delete(name);
      },
    },
  };
}

describe('contract client', () => {
  it('returns a command result checked against the contract', async () => {
    const info = {
      version: '1.2.3',
      mode: 'serve',
      dataDir: '/tmp/x',
      platform: 'linux-x64',
      pid: 4242,
    };
    const t = transportAnswering({ ok: true, result: info });
    await expect(createClient(t.transport).call('app/info', {})).resolves.toEqual(info);
    expect(t.calls).toEqual([['app/info', {}]]);
  });

  it('rebuilds a wire error as an AppError with its code and sentence', async () => {
    const t = transportAnswering({
      ok: false,
      error: { name: 'AppError', code: 'RUN_NOT_LIVE', message: 'run "r1" is not running' },
    });
    const err = await createClient(t.transport)
      .call('run/stop', { runId: 'r1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'RUN_NOT_LIVE', message: 'run "r1" is not running' });
  });

  it('refuses a result that does not match the contract', async () => {
    const t = transportAnswering({ ok: true, result: { version: 3 } });
    await expect(createClient(t.transport).call('app/info', {})).rejects.toThrow();
  });

  it('passes contract-shaped events on and drops others with a console error', () => {
    const t = transportAnswering({ ok: true, result: {} });
    const seen: unknown[] = [];
    const client = createClient(t.transport);
    const unsubscribe = client.on('run/state', (p) => seen.push(p));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    t.emit('run/state', { runId: 'r1', state: 'running', message: null });
    t.emit('run/state', { runId: 'r1', state: 'exploded', message: null });
    expect(seen).toEqual([{ runId: 'r1', state: 'running', message: null }]);
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
    unsubscribe();
    t.emit('run/state', { runId: 'r2', state: 'done', message: null });
    expect(seen).toHaveLength(1);
  });

  it('reaches the core through the preload bridge the Electron shell builds', async () => {
    // The real bridge (src-main/electron/bridge.ts) over a stand-in for ipcRenderer that answers
    // on the channels the main process listens on.
    const invoked: Array<[string, unknown]> = [];
    const eventListeners = new Set<(event: unknown, ...args: unknown[]) => void>();
    const ipc: IpcRendererLike = {
      invoke: async (channel, args) => {
        invoked.push([channel, args]);
        return { ok: true, result: { stopped: true } };
      },
      on: (channel, l) => channel === EVENT_CHANNEL && eventListeners.add(l),
      removeListener: (_channel, l) => eventListeners.delete(l),
    };
    const client = createClient(bridgeTransport(buildBridge(ipc)));
    await expect(client.call('run/stop', { runId: 'r9' })).resolves.toEqual({ stopped: true });
    expect(invoked).toEqual([[channelFor('run/stop'), { runId: 'r9' }]]);

    const seen: unknown[] = [];
    const unsubscribe = client.on('run/state', (p) => seen.push(p));
    for (const l of eventListeners)
      l({}, 'run/state', { runId: 'r9', state: 'done', message: null });
    for (const l of eventListeners) l({}, 'run/metrics', { runId: 'r9' });
    expect(seen).toEqual([{ runId: 'r9', state: 'done', message: null }]);
    unsubscribe();
    expect(eventListeners.size).toBe(0);
  });
});
