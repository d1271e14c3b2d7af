// Joins the parts of a split stage by frame id. Parts arrive in any order and frames overtake
// each other; a frame is complete only when every part of THAT frame is in, so halves of
// different frames are never concatenated (the published system's merge node kept "the last two
// halves received" and mixed frames).
import type { Frame, StageSpec, WireTensor } from './schema';
import { concatTensors } from './tensor';

export class JoinError extends Error {}

export class Joiner {
  private readonly pending = new Map<number, Array<WireTensor[] | undefined>>();

  /**
   * @param split the split stage whose parts are joined
   * @param limit frames that may wait half-joined; more means a part was lost upstream
   */
  constructor(
    private readonly split: StageSpec,
    private readonly limit: number,
  ) {}

  get waiting(): number {
    return this.pending.size;
  }

  /** Adds one part's tensors; returns the joined inputs when the frame is complete. */
  add(frame: Pick<Frame, 'frameId' | 'fromPart' | 'tensors'>): WireTensor[] | null {
    const n = this.split.parts.length;
    if (frame.fromPart < 0 || frame.fromPart >= n) {
      throw new JoinError(
        `frame ${frame.frameId}: no part ${frame.fromPart} in stage ${this.split.id}`,
      );
    }
    let slots = this.pending.get(frame.frameId);
    if (!slots) {
      if (this.pending.size >= this.limit) {
        throw new JoinError(`more than ${this.limit} frames wait for their other parts`);
      }
      slots = new Array<WireTensor[] | undefined>(n).fill(undefined);
      this.pending.set(frame.frameId, slots);
    }
    if (slots[frame.fromPart]) {
      throw new JoinError(`frame ${frame.frameId}: part ${frame.fromPart} arrived twice`);
    }
    slots[frame.fromPart] = frame.tensors;
    if (slots.some((s) => !s)) return null;
    this.pending.delete(frame.frameId);
    const concat = this.split.concat;
    if (!concat) throw new JoinError(`stage ${this.split.id} is split but names no concat`);
    const pieces = (slots as WireTensor[][]).map((ts, p) => {
      const want = this.split.parts[p]!.outputs;
      const t = ts.find((x) => want.includes(x.name));
      if (!t)
        throw new JoinError(`frame ${frame.frameId}: part ${p} sent none of ${want.join(', ')}`);
      return t;
    });
    return [concatTensors(concat.output, pieces, concat.axis)];
  }
}
