// The Farm and Models views' commands through the core's dispatcher, against a real inventory
// file and the real model zoo.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../src-main/core/index';
import { uploadModel } from './upload';
import { createLogger } from '../../../src-main/log';
import { buildZooModel, encodeModel } from '../../../src-main/model/index';
import type { PlanChoices } from '../../../src-main/contract/index';

let dataDir: string;
let core: Core;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-lab-'));
  core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
});

afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('devices', () => {
  it('adds, lists, refuses a duplicate, imports and removes boards in the inventory file', async () => {
    const add = await core.dispatch('devices/add', {
      device: {
        name: 'pi-01',
        host: '10.0.0.1',
        user: 'pi',
        auth: 'key',
        keyFile: '/home/me/.ssh/id_ed25519',
        profile: 'pi3',
      },
    });
    expect(add).toMatchObject({
      ok: true,
      result: { device: { name: 'pi-01', port: 22, auth: 'key /home/me/.ssh/id_ed25519' } },
    });

    const again = await core.dispatch('devices/add', {
      device: { name: 'pi-01', host: '10.0.0.9', user: 'pi' },
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'DEVICE_EXISTS' } });

    const imported = await core.dispatch('devices/import', {
      fileName: 'lab.csv',
      text: 'name,host,user,profile\npi-02,10.0.0.2,pi,pi4\npi-03,10.0.0.3,pi,pi3\n',
    });
    expect(imported).toEqual({ ok: true, result: { added: ['pi-02', 'pi-03'] } });

    const listed = await core.dispatch('devices/list', {});
    expect(
      listed.ok &&
        (listed.result as { devices: Array<{ name: string }> }).devices.map((d) => d.name),
    ).toEqual(['pi-01', 'pi-02', 'pi-03']);
    const file = JSON.parse(await readFile(join(dataDir, 'inventory.json'), 'utf8')) as unknown;
    expect(JSON.stringify(file)).toContain('pi-03');

    expect(await core.dispatch('devices/remove', { name: 'pi-02' })).toEqual({
      ok: true,
      result: { removed: 'pi-02' },
    });
    expect(await core.dispatch('devices/remove', { name: 'pi-02' })).toMatchObject({
      ok: false,
      error: { code: 'DEVICE_UNKNOWN' },
    });
  });

  it('names the field to fix in a bad form', async () => {
    const r = await core.dispatch('devices/add', {
      device: { name: 'bad name!', host: '10.0.0.1', user: 'pi' },
    });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('name') },
    });
    const noKey = await core.dispatch('devices/add', {
      device: { name: 'pi-09', host: '10.0.0.1', user: 'pi', auth: 'key' },
    });
    expect(noKey).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('key file') },
    });
  });
});

describe('models', () => {
  it('lists the zoo and costs a model layer by layer', async () => {
    const list = await core.dispatch('models/list', {});
    expect(
      list.ok && (list.result as { zoo: Array<{ name: string }> }).zoo.map((z) => z.name),
    ).toContain('alexnet-mc');
    const r = await core.dispatch('models/inspect', { name: 'tiny-cnn' });
    expect(r.ok).toBe(true);
    const costs = (r as { result: { layers: Array<{ macs: number }>; totals: { macs: number } } })
      .result;
    expect(costs.layers.length).toBeGreaterThan(3);
    expect(costs.layers.reduce((s, l) => s + l.macs, 0)).toBe(costs.totals.macs);
    expect(await core.dispatch('models/inspect', { name: 'resnet-9000' })).toMatchObject({
      ok: false,
      error: { code: 'MODEL_UNKNOWN' },
    });
  });
});

describe('plans', () => {
  it("plans a model on a virtual farm, with the paper's presets beside the best plans", async () => {
    const r = await core.dispatch('plan/make', {
      model: 'alexnet-mc',
      farm: { kind: 'virtual', spec: 'pi3:6' },
      top: 2,
    });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const choices = (r as { result: PlanChoices }).result;
    expect(choices.plans.length).toBeGreaterThanOrEqual(1);
    const best = choices.plans[0]!;
    expect(best.model).toBe('alexnet-mc');
    expect(best.prediction.ips).toBeGreaterThan(0);
    for (const stage of best.stages) expect(choices.tensorBytes[stage.output]).toBeGreaterThan(0);
    const paper6 = choices.presets.find((p) => p.id === 'paper-6');
    expect(paper6?.plan?.origin).toBe('paper-6');
    expect(choices.presets.find((p) => p.id === 'paper-9')?.unavailable).toContain(
      'needs 9 devices',
    );
  });

  it('plans on the inventory only when every board has a type', async () => {
    await core.dispatch('devices/add', {
      device: { name: 'bare-01', host: '10.0.0.40', user: 'pi' },
    });
    expect(
      await core.dispatch('plan/make', { model: 'tiny-cnn', farm: { kind: 'inventory' } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'PROFILE_MISSING', message: expect.stringContaining('bare-01') },
    });
    await core.dispatch('devices/remove', { name: 'bare-01' });
    const r = await core.dispatch('plan/make', {
      model: 'tiny-cnn',
      farm: { kind: 'inventory' },
      top: 1,
    });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const used = (r as { result: PlanChoices }).result.plans[0]!.devices.map((d) => d.device);
    expect(used.every((d) => ['pi-01', 'pi-03'].includes(d))).toBe(true);
  });
});

describe('meters', () => {
  it('reads a power log as a meter and summarises it', async () => {
    const log = join(dataDir, 'bench-power.csv');
    await writeFile(log, 'time_s,power_w\n0,2.0\n1,4.0\n2,4.0\n');
    const r = await core.dispatch('meters/test', { uri: `csv://${log}`, seconds: 5 });
    expect(r).toMatchObject({
      ok: true,
      result: { samples: 3, minW: 2, maxW: 4, emulated: false },
    });
    expect(await core.dispatch('meters/test', { uri: 'ftp://10.0.0.1' })).toMatchObject({
      ok: false,
      error: { code: expect.not.stringMatching(/^INTERNAL$/) },
    });
  });
});

describe('LAN scan', () => {
  it('finds an SSH server on the subnet, reporting progress, and can be stopped', async () => {
    const board = createServer((sock) => sock.end('SSH-2.0-OpenSSH_9.2p1 Raspbian-2\r\n'));
    await new Promise<void>((resolve) => board.listen(0, '127.0.0.1', resolve));
    const { port } = board.address() as { port: number };
    const progress: Array<{ done: number; total: number }> = [];
    const unsubscribe = core.events.subscribe((name, payload) => {
      if (name === 'scan/progress') progress.push(payload as { done: number; total: number });
    });
    try {
      const r = await core.dispatch('devices/scan', { subnet: '127.0.0.0/30', port });
      expect(r).toEqual({
        ok: true,
        result: {
          found: [{ host: '127.0.0.1', port, banner: 'SSH-2.0-OpenSSH_9.2p1 Raspbian-2' }],
          stopped: false,
        },
      });
      expect(progress.at(-1)).toEqual({ done: 2, total: 2 });

      const scan = core.dispatch('devices/scan', { subnet: '127.0.0.0/30', port });
      expect(await core.dispatch('devices/scan', { subnet: '127.0.0.0/30', port })).toMatchObject({
        ok: false,
        error: { code: 'SCAN_BUSY' },
      });
      expect(await core.dispatch('devices/stop-scan', {})).toEqual({
        ok: true,
        result: { stopped: true },
      });
      expect(await scan).toMatchObject({ ok: true, result: { stopped: true } });
    } finally {
      unsubscribe();
      board.close();
    }
  });
});

describe('imported models', () => {
  const upload = (name: string, bytes: Uint8Array, uploadId: string) =>
    uploadModel(core, name, bytes, uploadId);

  it('imports an ONNX file in chunks, then lists, costs and plans it like a built-in one', async () => {
    const bytes = encodeModel(buildZooModel('tiny-cnn', { seed: 7 }));
    const r = await upload('my-cnn', bytes, 'upload-0001');
    expect(r).toMatchObject({
      ok: true,
      result: { received: bytes.length, model: { name: 'my-cnn' } },
    });
    const list = await core.dispatch('models/list', {});
    expect(list).toMatchObject({ ok: true, result: { imported: [{ name: 'my-cnn' }] } });
    const costs = await core.dispatch('models/inspect', { name: 'my-cnn' });
    const zoo = await core.dispatch('models/inspect', { name: 'tiny-cnn' });
    expect((costs as { result: { totals: unknown } }).result.totals).toEqual(
      (zoo as { result: { totals: unknown } }).result.totals,
    );
    const plan = await core.dispatch('plan/make', {
      model: 'my-cnn',
      farm: { kind: 'virtual', spec: 'pi3:2' },
      top: 1,
    });
    expect(plan.ok, JSON.stringify(plan)).toBe(true);
  });

  it('refuses chunks out of order, a built-in name and a file that is not ONNX', async () => {
    const start = await core.dispatch('models/upload', {
      uploadId: 'upload-0002',
      name: 'x-cnn',
      offset: 0,
      chunk: 'AAAA',
      last: false,
    });
    expect(start.ok).toBe(true);
    expect(
      await core.dispatch('models/upload', {
        uploadId: 'upload-0002',
        name: 'x-cnn',
        offset: 99,
        chunk: 'AAAA',
        last: true,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'UPLOAD_OUT_OF_ORDER' },
    });
    expect(await upload('alexnet', new Uint8Array(10), 'upload-0003')).toMatchObject({
      ok: false,
      error: { code: 'MODEL_EXISTS' },
    });
    expect(
      await upload('junk', new TextEncoder().encode('not a model at all'), 'upload-0004'),
    ).toMatchObject({
      ok: false,
      error: { code: 'MODEL_INVALID' },
    });
    const list = await core.dispatch('models/list', {});
    expect(
      (list as { result: { imported: Array<{ name: string }> } }).result.imported.map(
        (m) => m.name,
      ),
    ).toEqual(['my-cnn']);
  });
});
