// Recognition on a real trained model, through the built CLI: the float16 SqueezeNet 1.1 of the
// fixtures (MIT), imported into a fresh library, calls the kitten 281 "tabby, tabby cat" at 0.93
// in this process, through an emulated farm by the planner's plan, and by a plan of three parts
// with a data-parallel stage cut at fire-module concats; `mchair run --images` records the same
// top-1 for every frame of the kitten.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBundles, type Bundles } from '../farm/bundles';

const FIXTURE = join(__dirname, '../../fixtures/squeezenet1.1-fp16');
const KITTEN = join(FIXTURE, 'kitten_224.png');
const MODEL = 'squeezenet1.1-fp16';

let home: string;
let bundles: Bundles;
const cli = (...args: string[]) => bundles.cli(home, ...args);
const json = async (...args: string[]) => JSON.parse((await cli(...args, '--json')).stdout);

interface Top {
  index: number;
  label: string;
  probability: number;
}

/** The fixture's README: 281 tabby 0.9315, then 285 Egyptian cat, 282 tiger cat. */
function expectTabby(top: Top[]): void {
  expect(top.map((c) => c.index)).toEqual([281, 285, 282]);
  expect(top[0]!.label).toBe('tabby, tabby cat');
  expect(top[1]!.label).toBe('Egyptian cat');
  expect(Math.abs(top[0]!.probability - 0.93)).toBeLessThanOrEqual(0.01);
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mchair-classify-'));
  bundles = await snapshotBundles();
  // By its sha256 the file takes the catalogue's card and name.
  const imported = await json('model', 'import', join(FIXTURE, 'model.onnx'));
  expect(imported.model).toBe(MODEL);
}, 120_000);
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await bundles.remove();
});

describe('mchair classify', () => {
  it('runs the whole model in this process: the kitten is a tabby', async () => {
    const r = await json('classify', KITTEN, '--model', MODEL, '--top', '3');
    expect(r).toMatchObject({ model: MODEL, plan: null, emulated: false });
    expect(r.images).toHaveLength(1);
    expect(r.images[0].file).toBe(KITTEN);
    expectTabby(r.images[0].top);
    // The ONNX file itself, by its sha256, gives the same answer; people read it as lines.
    const byFile = await cli('classify', KITTEN, '--model', join(FIXTURE, 'model.onnx'));
    expect(byFile.stdout).toMatch(/^ +281 {2}0\.93\d\d {2}tabby, tabby cat$/m);
  }, 60_000);

  it("through an emulated farm by the planner's plan, in frame order", async () => {
    const r = await json(
      'classify',
      KITTEN,
      join(FIXTURE, 'kitten_224.png'),
      '--model',
      MODEL,
      '--emulate',
      'pi3:3',
      '--top',
      '3',
    );
    expect(r).toMatchObject({ model: MODEL, emulated: true, plan: { origin: 'auto' } });
    expect(r.plan.layout).toMatch(/^s0/);
    expect(r.images).toHaveLength(2);
    for (const img of r.images) expectTabby(img.top);
  }, 180_000);

  it('through three parts with a data-parallel stage, cut at fire-module concats', async () => {
    // The planner's plan document on pi3:4 (recorded by a run), its stages replaced: s0 up to
    // fire3's concat on two replicas, s1 up to fire6's, s2 to the probabilities.
    const auto = await json('classify', KITTEN, '--model', MODEL, '--emulate', 'pi3:4');
    const plan = JSON.parse(await readFile(join(home, 'runs', auto.runId, 'plan.json'), 'utf8'));
    const stage = (
      i: number,
      [firstLayer, lastLayer]: [string, string],
      [input, output]: [string, string],
      devices: string[],
    ) => ({
      id: `s${i}`,
      firstLayer,
      lastLayer,
      input,
      output,
      parts: [{ id: `s${i}.p0`, devices }],
    });
    plan.stages = [
      stage(0, ['preprocess.cast', 'Concat_20'], ['input', 'fire3/concat_1'], ['pi3-1', 'pi3-2']),
      stage(1, ['MaxPool_21', 'Concat_43'], ['fire3/concat_1', 'fire6/concat_1'], ['pi3-3']),
      stage(2, ['Conv_44', 'postprocess.float'], ['fire6/concat_1', 'probs'], ['pi3-4']),
    ];
    const file = join(home, 'three-parts.json');
    await writeFile(file, JSON.stringify(plan));
    const r = await json(
      'classify',
      KITTEN,
      '--model',
      MODEL,
      '--emulate',
      'pi3:4',
      '--plan',
      file,
      '--top',
      '3',
    );
    expect(r.plan).toMatchObject({ origin: 'auto', layout: 's0 x2 | s1 | s2' });
    expectTabby(r.images[0].top);
    const manifest = JSON.parse(
      await readFile(join(home, 'runs', r.runId, 'manifest.json'), 'utf8'),
    );
    expect(JSON.stringify(manifest)).toContain('fire6/concat_1');
  }, 240_000);

  it('says what to fix: a file the catalogue does not know, a picture it cannot read', async () => {
    const stranger = join(home, 'stranger.onnx');
    await cli('model', 'build', 'tiny-cnn', '--out', stranger);
    await expect(cli('classify', KITTEN, '--model', stranger)).rejects.toMatchObject({
      stderr: expect.stringMatching(
        /catalogue does not know .*stranger\.onnx.*mchair model import/,
      ),
    });
    await expect(cli('classify', join(home, 'none.png'), '--model', MODEL)).rejects.toMatchObject({
      stderr: expect.stringMatching(/classify: cannot read .*none\.png/),
    });
    await expect(
      cli('classify', KITTEN, '--model', MODEL, '--emulate', 'pi3:2', '--farm', 'x.json'),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/at most one of --emulate/) });
    await expect(cli('classify', KITTEN, '--model', MODEL, '--plan', 'auto')).rejects.toMatchObject(
      { stderr: expect.stringMatching(/--plan needs a farm/) },
    );
  }, 60_000);
});

describe('mchair run --images', () => {
  it("records the kitten's top-1 label and probability for every frame", async () => {
    const dir = join(home, 'kittens');
    await mkdir(dir);
    await cp(KITTEN, join(dir, 'kitten.png'));
    const r = await json(
      'run',
      '--model',
      MODEL,
      '--emulate',
      'pi3:2',
      '--plan',
      'auto',
      '--images',
      dir,
      '--frames',
      '6',
    );
    expect(r.frames).toMatchObject({ sent: 6, completed: 6, lost: 0 });
    const results = (await readFile(join(home, 'runs', r.runId, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(results).toHaveLength(6);
    for (const res of results) {
      expect(res).toMatchObject({ top1: 281, label: 'tabby, tabby cat' });
      expect(Math.abs(res.probability - 0.93)).toBeLessThanOrEqual(0.01);
    }
  }, 180_000);
});
