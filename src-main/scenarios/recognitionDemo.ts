// The demo's last line: recognition on real trained weights across the virtual farm. The float16
// SqueezeNet 1.1 of the repository's test fixtures (MIT) is imported into the demo's library (its
// sha256 gives its card) and classifies the kitten photo by the planner's plan on the farm's
// first boards, as `mchair classify --farm` does.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLibrary } from '../model/library';
import type { Logger } from '../log';
import { recognise, type Recognition } from '../runtime/recognise';

const FIXTURE = join('test', 'fixtures', 'squeezenet1.1-fp16');

/** The fixture folder of the nearest enclosing checkout; null where there is none (the app). */
export function kittenFixture(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, FIXTURE, 'model.onnx'))) return join(dir, FIXTURE);
    if (dirname(dir) === dir) return null;
  }
}

export interface RecognitionLine extends Recognition {
  /** `kitten_224.png -> 281 tabby, tabby cat 0.93 (squeezenet1.1-fp16, plan auto on pi3:3: s0 x2 | s1)` */
  line: string;
}

export async function recogniseKitten(o: {
  fixture: string;
  /** A farm file of the boards to run on, and how the planner names them (`pi3:3`). */
  farmFile: string;
  boards: string;
  dataDir: string;
  log: Logger;
  say?(line: string): void;
}): Promise<RecognitionLine> {
  const added = await new ModelLibrary(o.dataDir).addFile(join(o.fixture, 'model.onnx'));
  const r = await recognise({
    trained: { name: added.name, model: added.model, card: added.card },
    files: [join(o.fixture, 'kitten_224.png')],
    top: 1,
    farm: { kind: 'file', file: o.farmFile },
    plan: 'auto',
    dataDir: o.dataDir,
    log: o.log,
    say: o.say,
  });
  const best = r.images[0]!.top[0]!;
  const line = `${basename(r.images[0]!.file)} -> ${best.index} ${best.label} ${best.probability.toFixed(2)} (${r.model}, plan ${r.plan!.origin} on ${o.boards}: ${r.plan!.layout})`;
  return { ...r, line };
}
