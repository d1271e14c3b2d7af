// The data plane through real agent processes, real mutual TLS and real ORT: split stages joined
// by frame id (also when parts arrive scrambled), data-parallel replicas, the WebAssembly
// backend, sha256 refusal and unauthenticated peers refused.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PeerClient, serve } from '../../../remote-agent/src/protocol/endpoint';
import type { Frame, Outgoing, WireTensor } from '../../../remote-agent/src/protocol/schema';
import type { Manifest } from '../../../src-main/contract/index';
import { startEphemeralFarm, type EphemeralFarm } from '../../../src-main/farm/ephemeral';
import { placeParts } from '../../../src-main/farm/parts';
import { createFarmCa, issueIdentity } from '../../../src-main/farm/pki';
import { createLogger } from '../../../src-main/log';
import { buildZooModel, encodeModel, partitionModel } from '../../../src-main/model/index';
import { ResultChecker } from '../../../src-main/runtime/check';
import { executeRun } from '../../../src-main/runtime/execute';
import { syntheticSource } from '../../../src-main/runtime/source';
import { RunRecorder } from '../../../src-main/store/runs';
import { snapshotBundles, type Bundles } from '../farm/bundles';
import { deploymentOf } from '../../../src-main/runtime/deployment';

const log = createLogger('silent');
let dir: string;
let partsDir: string;
let manifest: Manifest;
let checker: ResultChecker;
const model = buildZooModel('tiny-cnn', { seed: 7 });

let bundles: Bundles;

beforeAll(async () => {
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
  dir = await mkdtemp(join(tmpdir(), 'mchair-dataplane-'));
  partsDir = join(dir, 'parts');
  // s0: convs up to "flat"; s1: fc1 split in 2 parts along its outputs; s2: the rest.
  manifest = await partitionModel(
    model,
    { cuts: ['flat', 'fc1'], splits: [{ stage: 1, parts: 2 }] },
    partsDir,
  );
  checker = await ResultChecker.create(encodeModel(model), manifest.output);
});
afterAll(async () => {
  await bundles.remove();
  await checker.close();
  await rm(dir, { recursive: true, force: true });
});

async function withFarm<T>(
  agents: { id: string; backend?: 'node' | 'wasm' }[],
  fn: (f: EphemeralFarm, placed: Manifest) => Promise<T>,
  from: { manifest: Manifest; dir: string } = { manifest, dir: partsDir },
): Promise<T> {
  const farm = await startEphemeralFarm({ agents, threads: 1 });
  try {
    return await fn(farm, await placeParts(from.manifest, from.dir, farm.partsDir));
  } finally {
    await farm.stop();
  }
}

describe('split stages and replicas over a real farm', () => {
  it('joins split parts by frame id while replicas of unequal speed overtake each other', async () => {
    const ids = ['a0', 'p0-slow', 'p0-fast', 'p1', 'c1', 'c2'];
    await withFarm(
      ids.map((id) => ({ id })),
      async (farm, placed) => {
        const rec = await RunRecorder.create(dir, { kind: 'test', model: 'tiny-cnn', frames: 120 });
        const out = await executeRun({
          runId: rec.id,
          plan: deploymentOf(
            placed,
            [[['a0']], [['p0-slow', 'p0-fast'], ['p1']], [['c1', 'c2']]],
            farm.agents,
            {
              // One replica of part 0 is much slower, so part-0 halves arrive out of frame order and
              // after their part-1 halves: only joining by frame id gets every result right.
              holdMs: { 'p0-slow/s1.p0': 40, 'p1/s1.p1': 3 },
            },
          ),
          agents: farm.agents,
          identity: farm.coordinator,
          sinkHost: '127.0.0.1',
          source: syntheticSource(manifest.input, 3),
          frames: 120,
          window: 3,
          checker,
          recorder: rec,
          events: null,
          log,
        });
        await rec.finish('done');
        expect({ lost: out.lost, duplicated: out.duplicated, mismatched: out.mismatched }).toEqual({
          lost: 0,
          duplicated: 0,
          mismatched: 0,
        });
        expect(out.completed).toBe(120);
        expect(out.maxAbsDiff).toBeLessThan(1e-5);
        const byId = new Map(out.devices.map((d) => [d.id, d]));
        // Least in-flight: the fast replica takes more frames than the slow one.
        expect(byId.get('p0-fast')!.bytesIn).toBeGreaterThan(byId.get('p0-slow')!.bytesIn);
        // Both consumers of the split got work (the consumer is chosen per frame at the fan-out).
        expect(byId.get('c1')!.bytesIn).toBeGreaterThan(0);
        expect(byId.get('c2')!.bytesIn).toBeGreaterThan(0);
        const results = (await readFile(join(rec.dir, 'results.jsonl'), 'utf8')).trim().split('\n');
        expect(results.map((l) => (JSON.parse(l) as { frameId: number }).frameId)).toEqual([
          ...Array(120).keys(),
        ]);
      },
    );
  });

  it('a consumer fed the parts of many frames in scrambled order joins each frame with its own parts', async () => {
    // The test plays stage s1 (both parts) and the sink; the agent under test is the consumer.
    const ca = await createFarmCa('scramble');
    const sinkId = await issueIdentity(ca, 'sink');
    const results = new Map<number, WireTensor[]>();
    const sink = await serve(
      '127.0.0.1',
      0,
      {
        forward: async (f: Frame) => {
          results.set(f.frameId, f.tensors);
          return { frameId: f.frameId };
        },
      },
      { tls: { ca: ca.cert, ...sinkId } },
    );
    const tlsDir = join(dir, 'scramble-tls');
    const { writeIdentity } = await import('../../../src-main/farm/pki');
    await writeIdentity(tlsDir, 'consumer', ca.cert, await issueIdentity(ca, 'consumer'));
    const { startLocalAgent } = await import('../../../src-main/farm/local');
    const agent = await startLocalAgent({ id: 'consumer', partsDir, tlsDir, threads: 1 });
    try {
      const client = await PeerClient.connect(
        { id: 'consumer', host: '127.0.0.1', port: agent.port },
        { tls: { ca: ca.cert, ...sinkId } },
      );
      const peer = { id: 'consumer', host: '127.0.0.1', port: agent.port };
      const stages = manifest.stages.map((s, i) => ({
        id: s.id,
        concat: s.concat ?? null,
        parts: s.parts.map((p) => ({ ...p, replicas: i === 2 ? [peer] : [] })),
      }));
      const d: Outgoing<'Deployment'> = {
        runId: 'scramble',
        stages,
        sink: { id: 'sink', host: '127.0.0.1', port: sink.port },
        window: 64,
        holdMs: {},
      };
      await client.deploy(d);
      // Compute both halves of every frame locally with the real part models.
      const [s0, s1a, s1b] = await Promise.all(
        [
          manifest.stages[0]!.parts[0]!,
          manifest.stages[1]!.parts[0]!,
          manifest.stages[1]!.parts[1]!,
        ].map(async (p) =>
          ort.InferenceSession.create(await readFile(join(partsDir, p.file)), {
            intraOpNumThreads: 1,
          }),
        ),
      );
      const source = syntheticSource(manifest.input, 11);
      const frames = 16;
      const messages: Frame[] = [];
      const inputs: WireTensor[] = [];
      for (let f = 0; f < frames; f++) {
        const input = await source.frame(f);
        inputs.push(input);
        const flat = (
          await s0!.run({
            input: new ort.Tensor('uint8', new Uint8Array(input.bytes), input.shape),
          })
        ).flat as ort.Tensor;
        for (const [p, sess] of [s1a!, s1b!].entries()) {
          const outName = manifest.stages[1]!.parts[p]!.outputs[0]!;
          const half = (await sess.run({ flat }))[outName] as ort.Tensor;
          const data = half.data as Float32Array;
          messages.push({
            runId: 'scramble',
            frameId: f,
            stage: 2,
            part: 0,
            fromPart: p,
            consumers: [],
            tensors: [
              {
                name: outName,
                dtype: 'float32',
                shape: half.dims.map(Number),
                bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
              },
            ],
          });
        }
      }
      // Scramble: all part-1 halves first in reverse frame order, then part-0 halves interleaved.
      const order = [
        ...messages.filter((m) => m.fromPart === 1).reverse(),
        ...messages.filter((m) => m.fromPart === 0 && m.frameId % 2 === 1),
        ...messages.filter((m) => m.fromPart === 0 && m.frameId % 2 === 0).reverse(),
      ];
      expect(order).toHaveLength(messages.length);
      await Promise.all(order.map((m) => client.forward(m)));
      // The consumer answers once it has handed each result on; the sink may still be reading.
      await vi.waitFor(() => expect(results.size).toBe(frames));
      for (let f = 0; f < frames; f++) {
        expect(await checker.maxAbsDiff(inputs[f]!, results.get(f)!)).toBeLessThan(1e-5);
      }
      // A part sent twice is refused, not joined with another frame's part.
      // (The first waits for its other half, which never comes; undeploy answers it.)
      const waiting = client.forward({ ...messages[0]!, frameId: 100 }).catch((e: Error) => e);
      await expect(client.forward({ ...messages[0]!, frameId: 100 })).rejects.toThrow(
        /arrived twice/,
      );
      await client.undeploy('scramble');
      expect(await waiting).toBeInstanceOf(Error);
      client.close();
    } finally {
      await agent.stop();
      await sink.close();
    }
  });
});

describe('agent', () => {
  it('runs a part on the WebAssembly backend with the same results', async () => {
    const m2dir = join(dir, 'two');
    const two = await partitionModel(model, { cuts: ['pool2'] }, m2dir);
    await withFarm(
      [{ id: 'w1', backend: 'wasm' }, { id: 'n2' }],
      async (farm, placed) => {
        const out = await executeRun({
          runId: 'wasm',
          plan: deploymentOf(placed, [[['w1']], [['n2']]], farm.agents),
          agents: farm.agents,
          identity: farm.coordinator,
          sinkHost: '127.0.0.1',
          source: syntheticSource(two.input, 5),
          frames: 20,
          window: 2,
          checker,
          recorder: null,
          events: null,
          log,
        });
        expect(out.completed).toBe(20);
        expect(out.mismatched).toBe(0);
        expect(out.maxAbsDiff).toBeLessThan(1e-5);
        const client = await PeerClient.connect(farm.agents[0]!, { tls: farm.coordinator.tls });
        expect((await client.ping(42)).backend).toBe('wasm');
        client.close();
      },
      { manifest: two, dir: m2dir },
    );
  });

  it("refuses a partition whose sha256 differs from the run's, and peers outside the farm", async () => {
    const badDir = join(dir, 'bad');
    const bad = await partitionModel(model, { cuts: ['pool2'] }, badDir);
    await writeFile(join(badDir, bad.stages[1]!.parts[0]!.file), Buffer.from('tampered'));
    await withFarm(
      [{ id: 'x1' }, { id: 'x2' }],
      async (farm, placed) => {
        await expect(
          executeRun({
            runId: 'bad',
            plan: deploymentOf(placed, [[['x1']], [['x2']]], farm.agents),
            agents: farm.agents,
            identity: farm.coordinator,
            sinkHost: '127.0.0.1',
            source: syntheticSource(bad.input),
            frames: 1,
            window: 1,
            checker: null,
            recorder: null,
            events: null,
            log,
          }),
        ).rejects.toThrow(/x2: .*sha256/);
        // A certificate from another CA: the TLS handshake fails and nothing is served.
        const other = await createFarmCa('other');
        const stranger = await issueIdentity(other, 'coordinator');
        await expect(
          PeerClient.connect(farm.agents[0]!, {
            tls: { ca: farm.coordinator.tls.ca, ...stranger },
          }).then((c) => c.ping(1)),
        ).rejects.toThrow();
        // No client certificate at all.
        const a = farm.agents[0]!;
        const err = await new Promise<Error | null>((resolve) => {
          const s = tls.connect({
            host: a.host,
            port: a.port,
            ca: farm.coordinator.tls.ca,
            checkServerIdentity: () => undefined,
          });
          s.on('error', resolve);
          s.on('secureConnect', () => s.write(Buffer.alloc(16)));
          s.on('close', () => resolve(null));
        });
        expect(err).not.toBeNull();
        // The right identity for a different device id is refused by the client side check.
        await expect(
          PeerClient.connect({ ...a, id: 'x2' }, { tls: farm.coordinator.tls }),
        ).rejects.toThrow(/expected "x2"/);
      },
      { manifest: bad, dir: badDir },
    );
  });
});
