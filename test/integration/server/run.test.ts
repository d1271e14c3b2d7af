// The Farm view's virtual farm and the Plan/Run views' runs through the core's dispatcher: a real
// virtual farm (agent processes), real runs on it, frames pushed the way the page pushes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload, Envelope } from '../../../src-main/contract/index';
import { PAGE_FRAME_BYTES } from '../../../src-main/contract/index';
import { createCore, type Core } from '../../../src-main/core/index';
import { openLabFarm } from '../../../src-main/farm/labFarm';
import { createLogger } from '../../../src-main/log';
import { buildZooModel, encodeModel } from '../../../src-main/model/index';
import { rankedClasses } from '../../../src-main/runtime/check';
import { IMAGENET_LABELS } from '../../../src-main/model/labels';
import { PeerClient } from '../../../remote-agent/src/protocol/endpoint';
import { startShellySim } from '../../sim/shelly-sim';
import { constant } from '../../sim/trace';
import { uploadModel } from './upload';

let dataDir: string;
let core: Core;
const seen: Array<{ name: EventName; payload: EventPayload<EventName> }> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-run-'));
  core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
  core.events.subscribe((name, payload) => seen.push({ name, payload }));
});

afterAll(async () => {
  await core?.close();
  await core?.dispatch('farm/down', {});
  await rm(dataDir, { recursive: true, force: true });
});

function result<T>(e: Envelope<unknown>): T {
  if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
  return e.result as T;
}

async function until<T>(what: string, f: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ended = (runId: string) =>
  until(`run ${runId} to end`, () => {
    const e = seen.find(
      (x) =>
        x.name === 'run/state' &&
        (x.payload as EventPayload<'run/state'>).runId === runId &&
        ['done', 'failed', 'stopped'].includes((x.payload as EventPayload<'run/state'>).state),
    );
    return e?.payload as EventPayload<'run/state'> | undefined;
  });

/** Pushes one frame, retrying while the run is still deploying (as the page does). */
async function push(runId: string, fill: number) {
  const base64 = Buffer.alloc(PAGE_FRAME_BYTES, fill).toString('base64');
  for (;;) {
    const r = await core.dispatch('run/frame', { runId, base64 });
    if (r.ok) return r.result as EventPayload<'run/frame'>['source'] & object;
    if (r.error.code !== 'RUN_NOT_READY') throw new Error(r.error.message);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('virtual farm from the app', () => {
  it('is down, comes up with its boards answering, refuses a second one', async () => {
    expect(result(await core.dispatch('farm/status', {}))).toMatchObject({
      up: false,
      devices: [],
    });
    const up = result<{ up: boolean; devices: Array<{ id: string; alive: boolean }> }>(
      await core.dispatch('farm/up', { spec: 'pi4:2' }),
    );
    expect(up.up).toBe(true);
    expect(up.devices.map((d) => d.alive)).toEqual([true, true]);
    const again = await core.dispatch('farm/up', { spec: 'pi4:1' });
    expect(again).toMatchObject({ ok: false, error: { code: 'FARM_RUNNING' } });
    const bad = await core.dispatch('farm/up', { spec: 'pi4' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  }, 120_000);

  it("shows each board's readings, and reading them leaves a run's telemetry interval whole", async () => {
    const status = result<{
      devices: Array<{
        readings: { cpuPercent: number; memoryBytes: number; emulated: boolean } | null;
      }>;
    }>(await core.dispatch('farm/status', {}));
    for (const d of status.devices) {
      expect(d.readings?.memoryBytes).toBeGreaterThan(10 * 2 ** 20);
      expect(d.readings?.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(d.readings?.emulated).toBe(true);
    }
    const open = await openLabFarm(dataDir);
    const agent = open.farm.devices[0]!;
    const client = await PeerClient.connect(agent, { tls: open.coordinator.tls, timeoutMs: 3000 });
    try {
      await client.telemetry();
      const pause = () => new Promise((r) => setTimeout(r, 400));
      await pause();
      await client.readings();
      await pause();
      // Telemetry counts from the previous telemetry call, not from the readings in between.
      expect((await client.telemetry()).intervalMs).toBeGreaterThanOrEqual(750);
    } finally {
      client.close();
    }
  });

  it('runs synthetic frames on it with live metrics, returning the id before the end', async () => {
    const { runId } = result<{ runId: string }>(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        frames: 40,
      }),
    );
    // A synthetic run takes no frames from the page.
    await expect(core.dispatch('run/frame', { runId, base64: '' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'RUN_NOT_READY' },
    });
    const state = await ended(runId);
    expect(state.state).toBe('done');
    const metrics = seen.filter(
      (x) => x.name === 'run/metrics' && (x.payload as EventPayload<'run/metrics'>).runId === runId,
    );
    expect(metrics.length).toBeGreaterThan(0);
    const got = result<{ run: { completed: number } }>(await core.dispatch('run/get', { runId }));
    expect(got.run.completed).toBe(40);
  }, 120_000);

  it('repeats a configuration as a set, one run after another, as `mchair run --repeat` does', async () => {
    const { runId: first } = result<{ runId: string }>(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        frames: 30,
        repeat: 3,
      }),
    );
    // Each run says its place in the set as it starts; the page follows them in turn.
    const starts = await until(
      'three runs of the set to start',
      () => {
        const lines = seen
          .map((x) => x.payload as EventPayload<'run/state'>)
          .filter((p) => p.state === 'starting' && /^run \d of 3 \(set /.test(p.message ?? ''));
        const runs = [...new Map(lines.map((p) => [p.runId, p])).values()];
        return runs.length === 3 ? runs : undefined;
      },
      180_000,
    );
    expect(starts[0]!.runId).toBe(first);
    const set = /\(set ([\w-]+)\)/.exec(starts[0]!.message!)![1]!;
    for (const [i, p] of starts.entries()) {
      expect(p.message).toBe(`run ${i + 1} of 3 (set ${set})`);
      expect((await ended(p.runId)).state).toBe('done');
      const { run } = result<{ run: { repeat: unknown; completed: number } }>(
        await core.dispatch('run/get', { runId: p.runId }),
      );
      expect(run).toMatchObject({ completed: 30, repeat: { set, index: i + 1, of: 3 } });
    }
    // Never overlapping: each run started after the one before it ended.
    const order = seen
      .map((x) => x.payload as EventPayload<'run/state'>)
      .filter((p) => starts.some((s) => s.runId === p.runId))
      .map((p) => `${p.runId}:${p.state === 'starting' ? 'start' : p.state}`)
      .filter((e, i, all) => all.indexOf(e) === i && /:(start|done)$/.test(e));
    expect(order).toEqual(starts.flatMap((p) => [`${p.runId}:start`, `${p.runId}:done`]));
    // A camera or file run feeds one run from the page: it does not repeat.
    expect(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        source: 'camera',
        repeat: 2,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringMatching(/^repeat: /) },
    });
  }, 240_000);

  it('stops a repeated set: the run going now, and none of the rest starts', async () => {
    const { runId } = result<{ runId: string }>(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        frames: 100_000,
        repeat: 3,
      }),
    );
    await until('the first run to run', () =>
      seen.find(
        (x) =>
          x.name === 'run/metrics' && (x.payload as EventPayload<'run/metrics'>).runId === runId,
      ),
    );
    result(await core.dispatch('run/stop', { runId }));
    expect((await ended(runId)).state).toBe('stopped');
    const set = result<{ run: { repeat: { set: string } } }>(
      await core.dispatch('run/get', { runId }),
    ).run.repeat.set;
    await new Promise((r) => setTimeout(r, 1500));
    const runs = result<{ runs: Array<{ repeat?: { set: string } }> }>(
      await core.dispatch('run/list', {}),
    ).runs;
    expect(runs.filter((r) => r.repeat?.set === set)).toHaveLength(1);
  }, 120_000);

  it('runs a model imported on the Models view, and names the models there are for an unknown one', async () => {
    const bytes = encodeModel(buildZooModel('tiny-cnn', { seed: 3 }));
    result(await uploadModel(core, 'lab-cnn', bytes, 'upload-run1'));
    const { runId } = result<{ runId: string }>(
      await core.dispatch('run/start', { model: 'lab-cnn', farm: { kind: 'virtual' }, frames: 8 }),
    );
    expect((await ended(runId)).state).toBe('done');
    const got = result<{ run: { model: string; completed: number } }>(
      await core.dispatch('run/get', { runId }),
    );
    expect(got.run).toMatchObject({ model: 'lab-cnn', completed: 8 });
    const unknown = await core.dispatch('run/start', {
      model: 'no-such-cnn',
      farm: { kind: 'virtual' },
      frames: 8,
    });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'MODEL_UNKNOWN' } });
    expect((unknown as { error: { message: string } }).error.message).toContain('lab-cnn');
  }, 120_000);

  it('a camera run drops the oldest waiting frame, previews the top 5 and stops', async () => {
    const { runId, frame } = result<{ runId: string; frame: unknown }>(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        source: 'camera',
        frames: 100_000,
      }),
    );
    // The page cuts its pictures as the built-in models' card says: 224x224, no crop.
    expect(frame).toEqual({ width: 224, height: 224, resize: [224, 224] });
    let last = await push(runId, 1);
    // Far faster than the farm: a live source keeps only the newest waiting frame.
    for (let i = 0; i < 30; i++) last = await push(runId, i);
    expect(last.received).toBe(31);
    expect(last.waiting).toBeLessThanOrEqual(1);
    expect(last.dropped).toBeGreaterThan(0);
    const preview = await until('a preview', () => {
      for (let i = 0; i < 20 && !seen.some((x) => x.name === 'run/frame'); i++) void push(runId, i);
      return seen.find(
        (x) => x.name === 'run/frame' && (x.payload as EventPayload<'run/frame'>).runId === runId,
      )?.payload as EventPayload<'run/frame'> | undefined;
    });
    expect(preview.top5).toHaveLength(5);
    // Named by the model's card (ImageNet's synset names for the built-in models).
    for (const c of preview.top5) expect(c.label).toBe(IMAGENET_LABELS[c.index]);
    expect(preview.untrained).toBe(true);
    const scores = preview.top5.map((t) => t.probability);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.reduce((a, b) => a + b)).toBeLessThanOrEqual(1 + 1e-6);
    expect(preview.source?.received).toBeGreaterThan(0);
    expect(result(await core.dispatch('run/stop', { runId }))).toEqual({ stopped: true });
    expect((await ended(runId)).state).toBe('stopped');
    expect(await core.dispatch('run/stop', { runId })).toMatchObject({
      ok: false,
      error: { code: 'RUN_NOT_LIVE' },
    });
  }, 120_000);

  it('a file run never drops: each frame waits for room, and the run ends after its frames', async () => {
    const { runId } = result<{ runId: string }>(
      await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'virtual' },
        source: 'file',
        frames: 12,
      }),
    );
    let last = await push(runId, 0);
    for (let i = 1; i < 12; i++) last = await push(runId, i);
    expect(last).toMatchObject({ received: 12, dropped: 0 });
    expect((await ended(runId)).state).toBe('done');
    const got = result<{ run: { completed: number } }>(await core.dispatch('run/get', { runId }));
    expect(got.run.completed).toBe(12);
  }, 120_000);

  it('goes down', async () => {
    const down = result<{ stopped: number }>(await core.dispatch('farm/down', {}));
    expect(down.stopped).toBeGreaterThanOrEqual(2);
    expect(result(await core.dispatch('farm/status', {}))).toMatchObject({ up: false });
    const run = await core.dispatch('run/start', { model: 'tiny-cnn', farm: { kind: 'virtual' } });
    expect(run).toMatchObject({ ok: false, error: { code: 'FARM_NOT_UP' } });
    // An inventory board of a lab that never provisioned says so instead of a blank row.
    await core.dispatch('devices/add', {
      device: { name: 'pi-01', host: '127.0.0.1', user: 'pi' },
    });
    expect(result(await core.dispatch('devices/readings', {}))).toEqual({
      devices: [
        { name: 'pi-01', readings: null, error: 'not provisioned from this lab yet', plug: null },
      ],
    });
    // A plug saved for that board alone is read beside it, agent or not; a meter on the whole
    // farm is not a board's.
    const plug = await startShellySim(2, constant(4.75));
    try {
      for (const meter of [
        { name: 'bench', uri: `shelly2://127.0.0.1:${plug.port}` },
        { name: 'pi-01 plug', uri: `shelly2://127.0.0.1:${plug.port}?device=pi-01` },
      ])
        expect(await core.dispatch('meters/save', { meter })).toMatchObject({ ok: true });
      expect(result(await core.dispatch('devices/readings', {}))).toEqual({
        devices: [
          {
            name: 'pi-01',
            readings: null,
            error: 'not provisioned from this lab yet',
            plug: { meter: 'pi-01 plug', w: 4.75, error: null },
          },
        ],
      });
      await plug.close();
      const gone = result<{ devices: { plug: { w: number | null; error: string | null } }[] }>(
        await core.dispatch('devices/readings', {}),
      );
      expect(gone.devices[0]!.plug).toMatchObject({ w: null, error: expect.stringMatching(/./) });
    } finally {
      await plug.close().catch(() => undefined);
    }
  }, 60_000);
});

describe("the preview's top 5", () => {
  const tensor = (values: number[]) => ({
    name: 'probs',
    dtype: 'float32',
    shape: [1, values.length],
    bytes: Buffer.from(new Float32Array(values).buffer),
  });

  it('keeps a softmax output as it is (the zoo ends in softmax)', () => {
    const top = rankedClasses(tensor([0.05, 0.5, 0.1, 0.2, 0.05, 0.1]), 3);
    expect(top.map((t) => t.index)).toEqual([1, 3, 2]);
    expect(top[0]!.probability).toBeCloseTo(0.5, 6);
  });

  it('turns logits into probabilities (an imported model may end without softmax)', () => {
    const top = rankedClasses(tensor([1, 3, 2, -1]), 2);
    const z = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(-1);
    expect(top.map((t) => t.index)).toEqual([1, 2]);
    expect(top[0]!.probability).toBeCloseTo(Math.exp(3) / z, 6);
    expect(top[1]!.probability).toBeCloseTo(Math.exp(2) / z, 6);
  });
});
