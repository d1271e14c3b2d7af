// A board's memory budget, enforced by a real agent process at deploy: alexnet-mc cut after its
// convolutions is a ~10 MB part and a ~190 MB one. An agent allowed 320 MiB loads the small part
// and runs frames; given the big one it refuses the deployment with one line naming itself, the
// part and the bytes, before reading the file, and keeps serving (it is not OOM-killed).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PeerClient } from '../../../remote-agent/src/protocol/endpoint';
import type { Manifest } from '../../../src-main/contract/index';
import { startEphemeralFarm, type EphemeralFarm } from '../../../src-main/farm/ephemeral';
import { placeParts } from '../../../src-main/farm/parts';
import { createLogger } from '../../../src-main/log';
import { buildZooModel, partitionModel } from '../../../src-main/model/index';
import { executeRun } from '../../../src-main/runtime/execute';
import { syntheticSource } from '../../../src-main/runtime/source';
import { snapshotBundles, type Bundles } from '../farm/bundles';
import { deploymentOf } from '../../../src-main/runtime/deployment';

const BUDGET = 320 * 2 ** 20;
let dir: string;
let bundles: Bundles;
let farm: EphemeralFarm;
let placed: Manifest;

beforeAll(async () => {
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
  dir = await mkdtemp(join(tmpdir(), 'mchair-memory-'));
  const manifest = await partitionModel(
    buildZooModel('alexnet-mc', { seed: 3 }),
    { cuts: ['flat'] },
    join(dir, 'parts'),
  );
  farm = await startEphemeralFarm({
    agents: [{ id: 'pi3-small', memoryBudgetBytes: BUDGET }, { id: 'roomy' }],
    threads: 1,
  });
  placed = await placeParts(manifest, join(dir, 'parts'), farm.partsDir);
}, 240_000);

afterAll(async () => {
  await farm?.stop();
  await bundles?.remove();
  await rm(dir, { recursive: true, force: true });
});

const run = (runId: string, assignment: string[][][]) =>
  executeRun({
    runId,
    plan: deploymentOf(placed, assignment, farm.agents),
    agents: farm.agents,
    identity: farm.coordinator,
    sinkHost: '127.0.0.1',
    source: syntheticSource(placed.input, 5),
    frames: 4,
    window: 2,
    checker: null,
    recorder: null,
    events: null,
    log: createLogger('silent'),
  });

it('loads a part within its budget and refuses, at deploy, one that is not', async () => {
  const ok = await run('fits', [[['pi3-small']], [['roomy']]]);
  expect(ok.completed).toBe(4);

  const refused = run('too-big', [[['roomy']], [['pi3-small']]]);
  await expect(refused).rejects.toMatchObject({ code: 'DEPLOY_FAILED' });
  const message = await refused.then(
    () => '',
    (e: Error) => e.message,
  );
  expect(message).toMatch(
    new RegExp(
      `^deploy to pi3-small failed: pi3-small: cannot load part s1\\.p0: it needs (\\d+) bytes more than the (\\d+) the agent holds, over the board's memory budget of ${BUDGET} bytes; `,
    ),
  );
  // What it needs is three times the part's file (~190 MB) and a session's fixed cost.
  expect(Number(/needs (\d+) bytes/.exec(message)![1])).toBeGreaterThan(3 * 150e6);
  expect(message).not.toContain('\n');

  // The agent that refused still serves, and the budget did not stop it running its own part.
  const a = farm.agents.find((x) => x.id === 'pi3-small')!;
  const client = await PeerClient.connect(
    { id: a.id, host: a.host, port: a.port },
    { tls: farm.coordinator.tls },
  );
  try {
    expect((await client.ping(1)).agentId).toBe('pi3-small');
    const readings = await client.readings();
    expect(readings.rssBytes).toBeLessThan(BUDGET);
    // What the kernel could still give, as /proc/meminfo has it (the measured budget's half).
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const total = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)![1]) * 1024;
    expect(readings.availableBytes).toBeGreaterThan(0);
    expect(readings.availableBytes).toBeLessThanOrEqual(total);
  } finally {
    client.close();
  }
  const again = await run('fits-again', [[['pi3-small']], [['roomy']]]);
  expect(again.completed).toBe(4);
}, 240_000);
