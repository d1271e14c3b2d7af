// A download all the way into the library: a TEST catalogue entry (a generated exporter-style CNN
// with a torchvision card) injected into the core's getCatalogueModel, fetched from a local HTTPS
// "public host" after a mirror that lacks it, wrapped by addFile under the entry's card; then the
// catalogue says it is in the library and a second get fetches nothing. The saved mirrors come
// first.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TORCH_INPUT } from '../../../src-main/contract/modelCard';
import { catalogueRows, getCatalogueModel } from '../../../src-main/core/downloads';
import { ModelLibrary } from '../../../src-main/model/library';
import type { CatalogueEntry } from '../../../src-main/model/catalogue';
import { loadModel } from '../../../src-main/model/load';
import { encodeModel, sha256Hex } from '../../../src-main/model/onnx';
import { addMirror, loadMirrors, removeMirror } from '../../../src-main/store/mirrors';
import { pytorchCnn } from '../../unit/model/exporters';
import { startZooServer, type ZooServer } from './zooServer';

const bytes = Buffer.from(encodeModel(pytorchCnn()));
const sha256 = sha256Hex(bytes);
const entry: CatalogueEntry = {
  id: 'test-cnn-11',
  path: 'validated/vision/classification/test/model/test-cnn-11.onnx',
  bytes: bytes.length,
  sha256,
  opset: 11,
  io: ['input.1', 'output'],
  card: {
    title: 'Test CNN',
    input: { ...TORCH_INPUT, resize: [32, 32], crop: 'none' },
    output: 'logits',
    labels: Array.from({ length: 10 }, (_, i) => `class ${i}`),
    source: { catalogue: 'test-cnn-11', sha256, bytes: bytes.length },
  },
};

let server: ZooServer;
let data: string;
beforeAll(async () => {
  server = await startZooServer();
  data = mkdtempSync(join(tmpdir(), 'mchair-dl-lib-'));
});
afterAll(async () => {
  await server.close();
  rmSync(data, { recursive: true, force: true });
});

describe('getting a catalogue model into the library', () => {
  it('tries the saved mirrors first, then the hosts, and adds the model wrapped by its card', async () => {
    server.routes.set(`/hf/${entry.path}`, { kind: 'serve', bytes });
    await addMirror(data, `${server.base}/empty/`);
    expect(await loadMirrors(data)).toEqual([`${server.base}/empty`]);
    const got = await getCatalogueModel({
      dataDir: data,
      name: entry.id,
      catalogue: [entry],
      hosts: [`${server.base}/hf`],
      ca: server.ca,
      env: {},
    });
    expect(got).toEqual({
      name: entry.id,
      source: `127.0.0.1:${new URL(server.base).port}`,
      fetched: bytes.length,
      bytes: bytes.length,
    });
    expect(server.requests.map((r) => r.path)).toEqual([
      `/empty/${entry.path}`,
      '/empty/test-cnn-11.onnx',
      `/hf/${entry.path}`,
    ]);
    const library = new ModelLibrary(data);
    expect((await library.card(entry.id))?.source?.sha256).toBe(sha256);
    // The library keeps the farm's form: uint8 NHWC frames in, probabilities out.
    const wrapped = loadModel(join(data, 'models', `${entry.id}.onnx`));
    expect(wrapped.proto.graph?.input?.[0]?.type?.tensorType?.elemType).toBe(2); // uint8
    expect(existsSync(join(data, 'models', '.downloads', `${entry.id}.part`))).toBe(false);

    const rows = await catalogueRows(data, [entry]);
    expect(rows).toEqual([
      expect.objectContaining({ id: entry.id, inLibrary: true, public: true }),
    ]);
    const again = await getCatalogueModel({ dataDir: data, name: entry.id, catalogue: [entry] });
    expect(again).toMatchObject({ source: null, fetched: 0 });
    expect(server.requests).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(data, 'mirrors.json'), 'utf8')).version).toBe(1);
  });

  it('keeps the mirror list free of twins and unknown removals, naming the URL', async () => {
    await expect(addMirror(data, `${server.base}/empty`)).rejects.toThrow(
      `mirror ${server.base}/empty is in the list already`,
    );
    await expect(removeMirror(data, 'https://nowhere.lab/zoo')).rejects.toThrow(
      'no mirror https://nowhere.lab/zoo is in the list',
    );
    expect(await removeMirror(data, `${server.base}/empty`)).toEqual([]);
  });

  it('names the catalogue when asked for a model it does not hold', async () => {
    await expect(
      getCatalogueModel({ dataDir: data, name: 'resnet9000', catalogue: [entry] }),
    ).rejects.toThrow('no trained model "resnet9000" in the catalogue; choose from test-cnn-11');
  });
});
