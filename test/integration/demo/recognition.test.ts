// The demo's last line: on the paper demo's virtual farm (started once for its runs), the trained
// SqueezeNet of the fixtures, imported into the demo's data folder by its sha256, recognises the
// kitten by the planner's plan on three emulated Pi 3s, and the line says what and how.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src-main/log';
import { runPaperDemo } from '../../../src-main/scenarios/paper-demo';
import {
  kittenFixture,
  recogniseKitten,
  type RecognitionLine,
} from '../../../src-main/scenarios/recognitionDemo';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dataDir: string;
let bundles: Bundles;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-recognition-demo-'));
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await bundles.remove();
});

describe("the demo's recognition line", () => {
  it('finds the fixture from the code, as the built CLI does', () => {
    expect(kittenFixture()).toBe(join(__dirname, '../../fixtures/squeezenet1.1-fp16'));
  });

  it('classifies the kitten across the virtual farm by the trained SqueezeNet', async () => {
    const said: string[] = [];
    let recognition: RecognitionLine | null = null;
    const { runs } = await runPaperDemo({
      seconds: 1,
      cases: [{ model: 'tiny-cnn', boards: 3, plan: 'auto' }],
      dataDir,
      log: createLogger('silent'),
      say: (l) => said.push(l),
      then: async (farmFile) => {
        recognition = await recogniseKitten({
          fixture: kittenFixture()!,
          farmFile: await farmFile(3),
          boards: 'pi3:3',
          dataDir,
          log: createLogger('silent'),
        });
      },
    });
    expect(runs.map((r) => r.error)).toEqual([null]);
    // The farm the paper runs used, started once.
    expect(said.filter((l) => l.startsWith('virtual farm:'))).toHaveLength(1);
    const r = recognition as RecognitionLine | null;
    expect(r).not.toBeNull();
    expect(r!.line).toMatch(
      /^kitten_224\.png -> 281 tabby, tabby cat 0\.93 \(squeezenet1\.1-fp16, plan auto on pi3:3: s0.*\)$/,
    );
    expect(r!.line).toContain(r!.plan!.layout);
    expect(r!.emulated).toBe(true);
    // Imported into the demo's own library, wrapped, with its card.
    expect(existsSync(join(dataDir, 'models', 'squeezenet1.1-fp16.onnx'))).toBe(true);
    expect(existsSync(join(dataDir, 'models', 'squeezenet1.1-fp16.card.json'))).toBe(true);
  }, 180_000);
});
