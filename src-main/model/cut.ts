// Cuts: where a model can be cut into stages. A cut is a tensor that separates the graph:
// everything it depends on runs before it, everything else after it, and it is the only tensor
// crossing (model/partition.ts assembles the stages).
import { analyseModel, type GraphAnalysis } from './graph';
import { type OnnxModel } from './onnx';

class Ancestry {
  private readonly words: number;
  private readonly bits: Uint32Array[];
  constructor(readonly a: GraphAnalysis) {
    const n = a.layers.length;
    this.words = Math.ceil(n / 32) || 1;
    this.bits = a.layers.map(() => new Uint32Array(this.words));
    for (const l of a.layers) {
      const mine = this.bits[l.index]!;
      mine[l.index >> 5]! |= 1 << (l.index & 31);
      for (const i of l.inputs) {
        const p = i ? a.producer.get(i) : undefined;
        if (!p) continue;
        const theirs = this.bits[p.index]!;
        for (let w = 0; w < this.words; w++) mine[w]! |= theirs[w]!;
      }
    }
  }
  /** Is layer `i` among the layers needed to compute layer `j` (itself included)? */
  has(j: number, i: number): boolean {
    return (this.bits[j]![i >> 5]! & (1 << (i & 31))) !== 0;
  }
}

const ancestries = new WeakMap<GraphAnalysis, Ancestry>();
export function ancestryOf(a: GraphAnalysis): Ancestry {
  let anc = ancestries.get(a);
  if (!anc) {
    anc = new Ancestry(a);
    ancestries.set(a, anc);
  }
  return anc;
}

/** Why `tensor` is not a valid cut, or null when it is. */
export function cutProblem(a: GraphAnalysis, tensor: string): string | null {
  if (tensor === a.input.name) return 'it is the model input (stage 0 starts there anyway)';
  if (tensor === a.output.name) return 'it is the model output (the last stage ends there anyway)';
  const p = a.producer.get(tensor);
  if (!p)
    return a.tensors.has(tensor)
      ? 'it is a constant, not computed by a layer'
      : 'no layer produces it';
  const anc = ancestryOf(a);
  for (const l of a.layers) {
    if (anc.has(p.index, l.index)) continue;
    for (const i of l.inputs) {
      if (!i || i === tensor || a.constants.has(i)) continue;
      const q = a.producer.get(i);
      if (!q || anc.has(p.index, q.index)) {
        return `layer "${l.name}" after it also reads "${i}" from before it (the cut would not be the only tensor crossing)`;
      }
    }
  }
  return null;
}

/** The tensors the model can be cut at, in graph order. */
export function listCuts(model: OnnxModel): string[] {
  const a = analyseModel(model);
  const out: string[] = [];
  for (const l of a.layers)
    for (const o of l.outputs) if (o && a.consumers.has(o) && !cutProblem(a, o)) out.push(o);
  return out;
}

export function describeChoices(all: readonly string[]): string {
  const shown = all.length > 40 ? [...all.slice(0, 40), `... (${all.length - 40} more)`] : all;
  return shown.join(', ');
}
