// Class names for a model's output: ImageNet's 1000 (resources/imagenet-labels.json, the synset's
// names in class-index order, "tabby, tabby cat") when the model tells 1000 classes apart, else
// numbers.
import names from '../resources/imagenet-labels.json';

export const IMAGENET_CLASSES = 1000;

export function className(index: number, classes: number): string {
  if (classes === IMAGENET_CLASSES && names.length === IMAGENET_CLASSES)
    return names[index] ?? `class ${index}`;
  return `class ${index}`;
}
