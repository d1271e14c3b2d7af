// One CPU, one part at a time: the parts a board holds take turns to compute, in the order their
// frames asked. A board has one CPU, and onnxruntime gives each frame all of it, so two parts
// computing at once would each take longer, not finish more. An emulated board holds each result
// for the profile's time inside its turn, so two parts on one emulated Pi add their times up as
// they would on the real one (the planner predicts exactly that: a board's roles share its time).
export class Turns {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `work` once every turn asked for before has ended; the next turn starts when it ends. */
  take<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.tail.then(work);
    // The next turn waits for this one to end, whether it succeeded or not.
    this.tail = mine.then(
      () => undefined,
      () => undefined,
    );
    return mine;
  }
}
