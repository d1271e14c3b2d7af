// Class names for a model's probabilities, as its card gives them: ImageNet's 1000 in the order of
// every ImageNet classifier of the ONNX zoo (resources/imagenet-labels.json holds the names of
// resources/imagenet-synset.txt, class N on line N+1, "tabby, tabby cat" as the synset spells
// them; a test keeps the two equal), or the model's own list.
import type { ModelCard } from '../contract/modelCard';
import imagenet from '../../resources/imagenet-labels.json';

export const IMAGENET_LABELS: readonly string[] = imagenet;

/** The card's class names, class N at index N. */
export function labelsOf(card: Pick<ModelCard, 'labels'>): readonly string[] {
  return card.labels === 'imagenet' ? IMAGENET_LABELS : card.labels;
}

export interface RankedClass {
  index: number;
  label: string;
  probability: number;
}

/**
 * The k most probable classes, best first (ties: the lower index first). A class past the end of
 * `labels` is named by its number, so a short label list never hides an answer.
 */
export function topK(probs: Float32Array, k: number, labels: readonly string[]): RankedClass[] {
  const best: number[] = [];
  for (let i = 0; i < probs.length; i++) {
    const v = probs[i]!;
    if (best.length === k && v <= probs[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && probs[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((index) => ({
    index,
    label: labels[index] ?? `class ${index}`,
    probability: probs[index]!,
  }));
}
