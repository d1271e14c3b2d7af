// The Run view's store: follows the run it started (and, when none is live, the next one the core
// reports), keeps reactive counters and puts every sample in the throughput ring.
import { createTestingPinia } from '@pinia/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventName, RunMetrics } from '../../../src-main/contract/index';

// The store talks to the core through the page's one client; here that client is driven by the
// test, which plays the core's part (replies and events).
const core = vi.hoisted(() => ({
  listeners: new Map<string, Set<(p: unknown) => void>>(),
  replies: new Map<string, (args: unknown) => unknown>(),
  emit(name: string, payload: unknown) {
    for (const l of this.listeners.get(name) ?? []) l(payload);
  },
}));
vi.mock('../../../src-renderer/api/index', () => ({
  api: {
    call: async (name: string, args: unknown) => {
      const reply = core.replies.get(name);
      if (!reply) throw new Error(`no reply for ${name}`);
      return reply(args);
    },
    on: (name: EventName, l: (p: unknown) => void) => {
      const set = core.listeners.get(name) ?? new Set();
      core.listeners.set(name, set);
      set.add(l);
      return () => set.delete(l);
    },
  },
}));

const { FARM_CHANNEL, LATENCY_P50, LATENCY_P95, useLiveRunStore } =
  await import('../../../src-renderer/stores/liveRun');

function metrics(runId: string, t: number, ips: number): RunMetrics {
  return {
    runId,
    t,
    sent: t * 10,
    completed: t * 9,
    dropped: 0,
    ips,
    latencyP50Ms: 5,
    latencyP95Ms: 9,
    devices: [{ device: 'agent-1', fps: ips, utilisation: 0.5, computeMs: 3, emulated: true }],
  };
}

beforeEach(() => {
  core.listeners.clear();
  core.replies.clear();
  createTestingPinia({ stubActions: false, createSpy: vi.fn });
});

describe('live run store', () => {
  it('starts the demo and records its samples in the ring, not in reactive state', async () => {
    core.replies.set('demo/start', () => ({ runId: 'r1' }));
    const run = useLiveRunStore();
    await run.startDemo(50);
    expect(run.runId).toBe('r1');
    expect(run.state).toBe('starting');
    core.emit('run/state', { runId: 'r1', state: 'running', message: null });
    core.emit('run/metrics', metrics('r1', 1, 40));
    core.emit('run/metrics', metrics('r1', 2, 42));
    expect(run.state).toBe('running');
    expect(run.isLive).toBe(true);
    expect(run.counters).toMatchObject({ t: 2, ips: 42, completed: 18 });
    expect(run.throughput.length).toBe(2);
    expect(run.throughput.channels()).toEqual([FARM_CHANNEL, 'agent-1']);
    expect(run.utilisation.channels()).toEqual(['agent-1']);
    expect(run.latency.channels()).toEqual([LATENCY_P50, LATENCY_P95]);
    expect(run.latency.length).toBe(2);
  });

  it("puts each meter's samples in the power ring and keeps its last reading across empty batches", async () => {
    core.replies.set('demo/start', () => ({ runId: 'r1' }));
    const run = useLiveRunStore();
    await run.startDemo(50);
    const meter = (name: string, samples: [number, number][]) => ({
      meter: name,
      emulated: name !== 'wt300',
      idleW: 2,
      intervalMs: 250,
      samples,
    });
    const energy = {
      seconds: 1,
      frames: 4,
      ips: 4,
      idleW: 2,
      avgW: 6,
      perInferenceJ: { static: 0.5, dynamic: 1, total: 1.5 },
      emulated: false,
    };
    core.emit('run/power', {
      runId: 'r1',
      meters: [
        meter('wt300', [
          [0.1, 5],
          [0.35, 6],
        ]),
        meter('pi-1', [[0.2, 3]]),
      ],
      energy: null,
    });
    core.emit('run/power', {
      runId: 'r1',
      meters: [meter('wt300', [[0.6, 7]]), meter('pi-1', [])],
      energy,
    });
    expect(run.power.length).toBe(4);
    expect(run.power.channels()).toEqual(['wt300', 'pi-1']);
    expect(run.meters.map((m) => [m.meter, m.w, m.t, m.emulated])).toEqual([
      ['wt300', 7, 0.6, false],
      ['pi-1', 3, 0.2, true],
    ]);
    expect(run.energy).toEqual(energy);
    // Another run's power is not this one's.
    core.emit('run/state', { runId: 'r1', state: 'running', message: null });
    core.emit('run/power', { runId: 'r2', meters: [meter('wt300', [[0.1, 99]])], energy: null });
    expect(run.meters[0]!.w).toBe(7);
  });

  it('ignores another run while its own is live, and follows the next one after', async () => {
    core.replies.set('demo/start', () => ({ runId: 'r1' }));
    core.replies.set('run/get', () => ({
      run: {
        id: 'r1',
        kind: 'demo',
        model: 'tiny-cnn',
        state: 'done',
        startedAt: '2026-01-01T00:00:00Z',
        endedAt: '2026-01-01T00:00:05Z',
        frames: 50,
        completed: 50,
        ips: 41,
        maxAbsDiff: 0,
        message: null,
      },
      metrics: [],
    }));
    const run = useLiveRunStore();
    await run.startDemo(50);
    core.emit('run/metrics', metrics('other', 1, 99));
    expect(run.throughput.length).toBe(0);

    core.emit('run/state', { runId: 'r1', state: 'done', message: null });
    await vi.waitFor(() => expect(run.summary?.ips).toBe(41));

    core.emit('run/state', { runId: 'r2', state: 'running', message: null });
    core.emit('run/metrics', metrics('r2', 1, 7));
    expect(run.runId).toBe('r2');
    expect(run.summary).toBeNull();
    expect(run.throughput.length).toBe(1);
  });

  it("shows the core's sentence when a command fails", async () => {
    const { AppError } = await import('../../../src-main/contract/errors');
    core.replies.set('run/stop', () => {
      throw new AppError('RUN_NOT_LIVE', 'run "r1" is not running');
    });
    core.replies.set('demo/start', () => ({ runId: 'r1' }));
    const run = useLiveRunStore();
    await run.startDemo(5);
    await run.stop();
    expect(run.error).toBe('run "r1" is not running');
    expect(run.busy).toBe(false);
  });

  it("keeps the run's board failures in order and forgets them for the next run", async () => {
    core.replies.set('demo/start', () => ({ runId: 'r1' }));
    const run = useLiveRunStore();
    await run.startDemo(50);
    const fault = (runId: string, device: string) => ({
      runId,
      kind: 'lost',
      device,
      cause: 'kill',
      at: 1,
      detectedAt: 1.1,
      detectionMs: 100,
      slowdown: null,
      replanMs: 20,
      redeployMs: 600,
      resent: 3,
      plan: { origin: 'auto', predictedIps: 9.1, devices: ['pi3-1'] },
      why: 'its agent stopped answering',
      recoveryS: 2.4,
    });
    core.emit('run/fault', fault('r1', 'pi3-2'));
    core.emit('run/fault', fault('other-run', 'pi3-9'));
    core.emit('run/fault', fault('r1', 'pi3-3'));
    expect(run.faults.map((f) => f.device)).toEqual(['pi3-2', 'pi3-3']);
    core.emit('run/state', { runId: 'r1', state: 'done', message: null });
    core.replies.set('run/get', () => ({ run: {}, metrics: [] }));
    core.replies.set('demo/start', () => ({ runId: 'r2' }));
    await run.startDemo(50);
    expect(run.faults).toEqual([]);
  });
});
