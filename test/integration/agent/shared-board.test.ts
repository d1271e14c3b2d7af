// A board holding two parts (a plan may give a device two roles) through the coordinator and
// real agent processes: its parts take turns on its one CPU, so their emulated holds add up
// rather than overlap, and a part feeding the next stage on the same board does not deadlock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../../remote-agent/src/protocol/schema';
import type { Manifest } from '../../../src-main/contract/index';
import { startEphemeralFarm } from '../../../src-main/farm/ephemeral';
import { placeParts } from '../../../src-main/farm/parts';
import { createLogger } from '../../../src-main/log';
import { buildZooModel, partitionModel } from '../../../src-main/model/index';
import { Coordinator } from '../../../src-main/runtime/coordinator';
import { syntheticSource } from '../../../src-main/runtime/source';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dir: string;
let manifest: Manifest;
let bundles: Bundles;

beforeAll(async () => {
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
  dir = await mkdtemp(join(tmpdir(), 'mchair-shared-'));
  manifest = await partitionModel(
    buildZooModel('tiny-cnn', { seed: 3 }),
    { cuts: ['pool1', 'pool3'] },
    join(dir, 'parts'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await bundles.remove();
});

describe('a board with two roles', () => {
  it('computes its two parts in turns: 60 + 40 ms a frame gives 10 frames a second, not 16.7', async () => {
    const farm = await startEphemeralFarm({
      agents: [{ id: 'shared' }, { id: 'other' }],
      threads: 1,
    });
    try {
      const placed = await placeParts(manifest, join(dir, 'parts'), farm.partsDir);
      const seen: Telemetry[] = [];
      const frames = 50;
      const c = new Coordinator({
        runId: 'shared',
        plan: {
          manifest: placed,
          // s0 -> s1 stays on the shared board: s0's send waits for s1's credit, which s1 frees
          // only in its own turn, so a turn held across the send would deadlock here.
          assignment: [[['shared']], [['shared']], [['other']]],
          holdMs: { 'shared/s0.p0': 60, 'shared/s1.p0': 40, 'other/s2.p0': 10 },
        },
        agents: farm.agents,
        identity: farm.coordinator,
        sinkHost: '127.0.0.1',
        source: syntheticSource(placed.input),
        frames,
        window: 2,
        log: createLogger('silent'),
        onTelemetry: (t) => seen.push(t),
      });
      await c.deploy();
      const out = await c.run();
      await c.close();
      expect(out.completed).toBe(frames);
      expect(out.lost).toBe(0);
      // One CPU: 100 ms of holds a frame. Overlapping holds would give 1 / 60 ms = 16.7.
      expect(out.ips).toBeGreaterThan(8.5);
      expect(out.ips).toBeLessThan(10.5);
      // Both parts ran on the shared board, and its busy time never exceeded the wall time.
      const shared = seen.filter((t) => t.agentId === 'shared');
      const parts = new Set(shared.flatMap((t) => t.parts.map((p) => p.part)));
      expect([...parts].sort()).toEqual(['s0.p0', 's1.p0']);
      for (const t of shared.filter((x) => x.intervalMs > 500))
        expect(t.parts.reduce((a, p) => a + p.busyMs, 0)).toBeLessThanOrEqual(t.intervalMs * 1.05);
    } finally {
      await farm.stop();
    }
  }, 60_000);
});
