// The app's ImageNet class names are the synset's: checked line by line against the reference
// list (../shared/reference beside the clone) and the repository's copy, and ranked by topK.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import names from '../../../resources/imagenet-labels.json';
import { IMAGENET_LABELS, labelsOf, topK } from '../../../src-main/model/labels';

const ROOT = join(__dirname, '../../..');
const SYNSETS = {
  reference: join(ROOT, '../shared/reference/imagenet-synset.txt'),
  repository: join(ROOT, 'resources/imagenet-synset.txt'),
};

/** Line N+1 is class N: `WNID name, synonyms`; the label is the text after the WNID. */
function synsetLabels(file: string): string[] {
  const lines = readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  return lines.map((line, i) => {
    const m = /^n\d{8} (.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1} is not "WNID name": ${line}`);
    return m[1]!;
  });
}

describe("the app's ImageNet labels", () => {
  // The reference list lies outside the repository (beside the lab's checkout): a clone
  // elsewhere checks the repository's copy only.
  for (const [which, file] of Object.entries(SYNSETS))
    it.skipIf(which === 'reference' && !existsSync(file))(
      `are the ${which} synset's names, class N on line N+1`,
      () => {
        expect(existsSync(file), `${file} is missing`).toBe(true);
        const want = synsetLabels(file);
        expect(want).toHaveLength(1000);
        expect(names).toEqual(want);
        expect(IMAGENET_LABELS).toEqual(want);
      },
    );

  it('name the kitten classes as the synset spells them', () => {
    const imagenet = labelsOf({ labels: 'imagenet' });
    expect(imagenet[281]).toBe('tabby, tabby cat');
    expect(imagenet[285]).toBe('Egyptian cat');
    expect(imagenet[999]).toBe('toilet tissue, toilet paper, bathroom tissue');
  });

  it("a card's own labels are its own", () => {
    expect(labelsOf({ labels: ['cat', 'dog'] })).toEqual(['cat', 'dog']);
  });
});

describe('topK', () => {
  it('ranks best first, ties by the lower index, and names classes past the labels', () => {
    const p = Float32Array.from([0.1, 0.4, 0.05, 0.4, 0.05]);
    expect(topK(p, 3, ['a', 'b', 'c'])).toEqual([
      { index: 1, label: 'b', probability: p[1] },
      { index: 3, label: 'class 3', probability: p[3] },
      { index: 0, label: 'a', probability: p[0] },
    ]);
    expect(topK(p, 9, []).map((c) => c.index)).toEqual([1, 3, 0, 2, 4]);
    expect(topK(p, 0, [])).toEqual([]);
  });
});
