// The Farm view's Provision action through the core, against a real OpenSSH server: an unknown
// host key comes back as HOST_KEY_UNKNOWN with its SHA256 fingerprint, the fingerprint confirmed
// in the app's modal lets the next attempt through (accepted once: that attempt only, nothing
// written to known_hosts), progress streams as events, and a changed key is refused whatever
// was confirmed or accepted before.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceProvisionResult, EventPayload } from '../../../src-main/contract/index';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { startBoard, tempDir, type Board } from '../ssh/sshd';

let dir: string;
let board: Board;
let core: Core;
const progress: Array<EventPayload<'provision/progress'>> = [];

async function provision(
  confirmed: string[] = [],
  acceptedOnce: string[] = [],
): Promise<DeviceProvisionResult> {
  const r = await core.dispatch('provision/start', {
    devices: ['board-1'],
    confirmed,
    acceptedOnce,
  });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return (r.result as { devices: DeviceProvisionResult[] }).devices[0]!;
}

/** The key blobs the app's known_hosts holds ('' when it has none yet). */
function rememberedKeys(): string {
  const file = join(dir, 'data', 'known_hosts');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

beforeAll(async () => {
  dir = tempDir('mchair-provision-ui');
  board = await startBoard(dir, { userPrefix: 'mcu' });
  core = createCore({ mode: 'serve', dataDir: join(dir, 'data'), log: createLogger('silent') });
  core.events.subscribe((name, payload) => {
    if (name === 'provision/progress') progress.push(payload as EventPayload<'provision/progress'>);
  });
  const added = await core.dispatch('devices/add', {
    device: {
      name: 'board-1',
      host: board.sshd.host,
      port: board.sshd.port,
      user: board.user.name,
      auth: 'key',
      keyFile: board.key.privateFile,
    },
  });
  expect(added.ok).toBe(true);
});

afterAll(async () => {
  await core?.close();
  await board?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('provisioning from the app', () => {
  it('asks about an unknown host key, then provisions once the fingerprint is confirmed', async () => {
    const fingerprint = board.sshd.hostKeyFingerprint();
    const first = await provision();
    expect(first).toMatchObject({ name: 'board-1', status: 'failed', code: 'HOST_KEY_UNKNOWN' });
    expect(first.message).toContain(fingerprint);
    expect(first.details).toMatchObject({ code: 'HOST_KEY_UNKNOWN', presented: { fingerprint } });
    // The app's own way to trust it, not the CLI's flag.
    expect(first.message).toContain('Farm view');
    expect(first.message).not.toContain('--accept-new');

    // Accepted once: this provisioning goes through, known_hosts stays as it was, and the
    // next connection asks again.
    const once = await provision([], [fingerprint]);
    expect(once.code, once.message).toBeNull();
    expect(once.status).toBe('ok');
    expect(rememberedKeys()).not.toContain(board.sshd.hostKey.publicLine.split(' ')[1]);
    const unasked = await core.dispatch('devices/logs', { name: 'board-1', lines: 5 });
    expect(unasked).toMatchObject({ ok: false, error: { code: 'HOST_KEY_UNKNOWN' } });
    expect(await provision()).toMatchObject({ status: 'failed', code: 'HOST_KEY_UNKNOWN' });

    progress.length = 0;
    const second = await provision([fingerprint]);
    expect(second.code ?? '', second.message).not.toMatch(/^HOST_KEY_/);
    expect(second).toMatchObject({ status: 'ok' });
    // The page saw the device move through its steps to the end.
    const steps = new Set(progress.flatMap((p) => p.devices.map((d) => d.step)));
    expect(rememberedKeys()).toContain(board.sshd.hostKey.publicLine.split(' ')[1]);
    expect(steps).toContain('upload');
    expect(progress.at(-1)?.devices[0]?.step).toBe('done');
    // The provisioned agent's log is readable from the app.
    const log = await core.dispatch('devices/logs', { name: 'board-1', lines: 50 });
    expect(log).toMatchObject({ ok: true, result: { mode: 'background' } });
    expect((log as { result: { text: string } }).result.text.trim()).not.toBe('');
  }, 240_000);

  it('refuses a changed host key even though the old one was confirmed', async () => {
    const old = board.sshd.hostKeyFingerprint();
    await board.sshd.changeHostKey();
    const now = board.sshd.hostKeyFingerprint();
    // Neither the old key confirmed nor the new one accepted once lets a changed key through.
    const r = await provision([old], [now]);
    expect(r).toMatchObject({ status: 'failed', code: 'HOST_KEY_CHANGED' });
    expect(r.message).toContain(old);
    expect(r.message).toContain(now);
    expect(r.details).toMatchObject({
      code: 'HOST_KEY_CHANGED',
      presented: { fingerprint: now },
      known: [{ fingerprint: old }],
    });
  }, 60_000);

  it('refuses a second provisioning while one runs, and cancels it', async () => {
    const first = core.dispatch('provision/start', { devices: ['board-1'] });
    const second = await core.dispatch('provision/start', { devices: ['board-1'] });
    expect(second).toMatchObject({ ok: false, error: { code: 'PROVISION_BUSY' } });
    expect(await core.dispatch('provision/cancel', {})).toEqual({
      ok: true,
      result: { cancelled: true },
    });
    expect((await first).ok).toBe(true);
  }, 60_000);
});
