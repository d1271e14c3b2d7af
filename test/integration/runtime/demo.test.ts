// The walking skeleton through real parts: real agent processes, real TLS sockets, real ORT.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../../src-main/contract/index';
import { EventBus } from '../../../src-main/shared/events';
import { createLogger } from '../../../src-main/log';
import { startDemoRun } from '../../../src-main/scenarios/demo';
import { readRun } from '../../../src-main/store/runs';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dataDir: string;
let bundles: Bundles;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-demo-'));
  bundles = await snapshotBundles();
  // In-process runs below start agents from the snapshot too.
  Object.assign(process.env, bundles.env);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await bundles.remove();
});

describe('mchair demo', () => {
  it('sends 200 frames through 2 agents and every result matches the uncut model', async () => {
    const { stdout } = await bundles.cli(dataDir, 'demo', '--skeleton', '--json');
    const out = JSON.parse(stdout) as {
      runId: string;
      state: string;
      frames: { sent: number; completed: number; lost: number; duplicated: number };
      fps: number;
      maxAbsDiff: number;
      devices: { id: string; bytesIn: number; bytesOut: number }[];
    };
    expect(out.state).toBe('done');
    expect(out.frames).toEqual({ sent: 200, completed: 200, lost: 0, duplicated: 0 });
    expect(out.fps).toBeGreaterThan(0);
    expect(out.maxAbsDiff).toBeLessThan(1e-5);
    // Activations go agent-1 -> agent-2 directly: agent-2 receives what agent-1 sends.
    const [a1, a2] = out.devices;
    expect(a1?.bytesIn).toBe(200 * 224 * 224 * 3);
    expect(a2?.bytesIn).toBe(a1?.bytesOut);
    const recorded = await readRun(dataDir, out.runId);
    expect(recorded.run.state).toBe('done');
    expect(recorded.run.completed).toBe(200);
    const results = (await readFile(join(dataDir, 'runs', out.runId, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(results.map((l) => (JSON.parse(l) as { frameId: number }).frameId)).toEqual([
      ...Array(200).keys(),
    ]);
  });

  it('returns at once, emits live events and records metrics with per-device figures', async () => {
    const events = new EventBus();
    const seen: Array<{ name: EventName; payload: EventPayload<EventName> }> = [];
    events.subscribe((name, payload) => seen.push({ name, payload }));
    const log = createLogger('silent');
    const live = await startDemoRun({ frames: 600, dataDir, log, events });
    expect(seen.map((e) => e.name)).toEqual(['run/state']);
    const summary = await live.done;
    expect(summary.state).toBe('done');
    expect(summary.maxAbsDiff).toBeLessThan(1e-5);
    const states = seen
      .filter((e) => e.name === 'run/state')
      .map((e) => (e.payload as { state: string }).state);
    expect(states).toEqual(['starting', 'running', 'done']);
    const metrics = seen.filter((e) => e.name === 'run/metrics');
    expect(metrics.length).toBeGreaterThan(0);
    const { metrics: stored } = await readRun(dataDir, live.id);
    expect(stored.length).toBe(metrics.length);
    expect(stored.at(-1)?.completed).toBe(600);
    expect(
      stored
        .at(-1)
        ?.devices.map((d) => d.device)
        .sort(),
    ).toEqual(['agent-1', 'agent-2']);
  });

  it('stops a live run: frames already sent are collected, the run is recorded as stopped', async () => {
    const events = new EventBus();
    // Stopped once results flow, however long a loaded machine takes to get there (a fixed
    // 1.5 s could end before the first result).
    const flowing = new Promise<void>((resolve) =>
      events.subscribe((name, payload) => {
        if (name === 'run/metrics' && (payload as EventPayload<'run/metrics'>).completed > 0)
          resolve();
      }),
    );
    const live = await startDemoRun({
      frames: 100_000,
      dataDir,
      log: createLogger('silent'),
      events,
    });
    await flowing;
    await live.stop();
    const summary = await live.done;
    expect(summary.state).toBe('stopped');
    expect(summary.completed).toBeGreaterThan(0);
    expect(summary.completed).toBeLessThan(100_000);
  });
});
