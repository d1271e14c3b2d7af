// An int8 model (onnxruntime's QOperator format, com.microsoft ops included) through real agent
// processes: stages cut at uint8 activations, so uint8 tensors cross the wire board to board, a
// split QLinearConv stage joined by frame id, a stage on the WebAssembly backend, and every
// result equal to the whole model's, bit for bit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BackendCannotRunError, type Manifest } from '../../../src-main/contract/index';
import { startEphemeralFarm } from '../../../src-main/farm/ephemeral';
import { placeParts } from '../../../src-main/farm/parts';
import { createLogger } from '../../../src-main/log';
import {
  analyseModel,
  encodeModel,
  loadModel,
  partitionModel,
} from '../../../src-main/model/index';
import { saveModel } from '../../../src-main/model/onnx';
import { ResultChecker } from '../../../src-main/runtime/check';
import { executeRun } from '../../../src-main/runtime/execute';
import { syntheticSource } from '../../../src-main/runtime/source';
import { int8QOperator } from '../../unit/model/int8-exporters';
import { snapshotBundles, type Bundles } from '../farm/bundles';
import { deploymentOf } from '../../../src-main/runtime/deployment';

const log = createLogger('silent');
// Pixels 0-255 quantize to themselves, so every frame differs all the way through.
const model = int8QOperator({ head: 'qlinearmatmul', input: { scale: 1, zeroPoint: 0 } });
let bundles: Bundles;
let dir: string;
let manifest: Manifest;
let checker: ResultChecker;

beforeAll(async () => {
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
  dir = await mkdtemp(join(tmpdir(), 'mchair-int8-'));
  manifest = await partitionModel(
    model,
    {
      cuts: ['conv1_out_quantized', 'add_out_quantized', 'concat_out_quantized'],
      splits: [{ stage: 0, parts: 2 }],
    },
    dir,
  );
  checker = await ResultChecker.create(encodeModel(model), manifest.output);
});
afterAll(async () => {
  await checker.close();
  await bundles.remove();
  await rm(dir, { recursive: true, force: true });
});

it('runs an int8 plan cut at uint8 activations on real agents, one on WebAssembly, bit for bit', async () => {
  const a = analyseModel(model);
  for (const t of ['conv1_out_quantized', 'add_out_quantized', 'concat_out_quantized'])
    expect(a.tensors.get(t)!.dtype).toBe('uint8');
  const farm = await startEphemeralFarm({
    agents: [{ id: 'q0' }, { id: 'q1' }, { id: 'q2' }, { id: 'w3', backend: 'wasm' }, { id: 'q4' }],
    threads: 1,
  });
  try {
    const placed = await placeParts(manifest, dir, farm.partsDir);
    const out = await executeRun({
      runId: 'int8',
      plan: deploymentOf(placed, [[['q0'], ['q1']], [['q2']], [['w3']], [['q4']]], farm.agents),
      agents: farm.agents,
      identity: farm.coordinator,
      sinkHost: '127.0.0.1',
      source: syntheticSource(manifest.input, 9),
      frames: 40,
      window: 2,
      checker,
      recorder: null,
      events: null,
      log,
    });
    expect({ completed: out.completed, lost: out.lost, mismatched: out.mismatched }).toEqual({
      completed: 40,
      lost: 0,
      mismatched: 0,
    });
    expect(out.maxAbsDiff).toBe(0);
    // uint8 activations, one byte an element: stage 1 takes conv1's 16x16x16 (4096 B a frame,
    // from both halves of the split), which as float32 would be four times as many.
    const byId = new Map(out.devices.map((d) => [d.id, d]));
    expect(byId.get('q2')!.bytesIn).toBeGreaterThanOrEqual(40 * 4096);
    expect(byId.get('q2')!.bytesIn).toBeLessThan(40 * 4096 * 1.5);
    expect(byId.get('w3')!.bytesIn).toBeGreaterThanOrEqual(40 * 4096);
  } finally {
    await farm.stop();
  }
}, 120_000);

it('refuses before any frame a part the board cannot run, naming the board, its backend and the operator', async () => {
  // An operator no onnxruntime build has stands in for one a board's backend lacks (onnxruntime-web
  // 1.30 runs every operator of the zoo's graphs, float16 and com.microsoft ones included).
  const odd = join(dir, 'odd');
  const m = await partitionModel(model, { cuts: ['concat_out_quantized'] }, odd);
  const last = m.stages[1]!.parts[0]!;
  const proto = loadModel(join(odd, last.file)).proto;
  const node = proto.graph!.node!.find((n) => n.opType === 'QLinearMatMul')!;
  node.opType = 'QLinearMatMulV2';
  node.domain = 'com.example';
  proto.opsetImport!.push({ domain: 'com.example', version: 1 });
  const saved = saveModel(proto, join(odd, last.file));
  const changed: Manifest = {
    ...m,
    stages: [m.stages[0]!, { ...m.stages[1]!, parts: [{ ...last, sha256: saved.sha256 }] }],
  };
  const farm = await startEphemeralFarm({
    agents: [{ id: 'n1' }, { id: 'w2', backend: 'wasm' }],
    threads: 1,
  });
  try {
    const placed = await placeParts(changed, odd, farm.partsDir);
    let sent = 0;
    const source = syntheticSource(changed.input, 2);
    const err = await executeRun({
      runId: 'odd',
      plan: deploymentOf(placed, [[['n1']], [['w2']]], farm.agents),
      agents: farm.agents,
      identity: farm.coordinator,
      sinkHost: '127.0.0.1',
      source: { ...source, frame: (id) => (sent++, source.frame(id)) },
      frames: 5,
      window: 1,
      checker: null,
      recorder: null,
      events: null,
      log,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendCannotRunError);
    expect((err as Error).message).toBe(
      'board w2 cannot run part s1.p0: its WebAssembly (onnxruntime-web) backend has no kernel for operator com.example.QLinearMatMulV2; put that part on a board with another backend, or export the model without that operator',
    );
    expect((err as BackendCannotRunError).refusal).toMatchObject({
      part: 's1.p0',
      backend: 'wasm',
      op: 'com.example.QLinearMatMulV2',
    });
    expect(sent).toBe(0);
  } finally {
    await farm.stop();
  }
}, 120_000);
