// Frames the app's page captures (webcam, video file, image folder) and hands to the core one by
// one. A camera is live: when the farm is slower than the camera, the oldest waiting frame is
// dropped so the farm always works on the newest picture. A file is paced: its next frame waits
// for room, so none is ever dropped (DESIGN.md, "Data plane").
import { AppError } from '../contract/index';
import type { SourceCounters } from '../contract/liveRun';
import { elementCount, type WireTensor } from '../../remote-agent/src/protocol/index';
import type { FrameSource } from './source';

/** Frames a paced (file) source keeps waiting before the page's next one has to wait. */
const PACED_DEPTH = 4;
/**
 * Frames handed to the farm are kept by id this long (in frames) because a fault's new plan sends
 * those still in flight again; the coordinator never has more than window x replicas in flight.
 */
const KEEP_SENT = 256;

export class PageFrameSource implements FrameSource {
  readonly name: string;
  private readonly waiting: Buffer[] = [];
  private readonly sentById = new Map<number, Buffer>();
  private readonly frameBytes: number;
  private received = 0;
  private dropped = 0;
  private closed = false;
  /** The coordinator waiting for a frame to hand over. */
  private onFrame: (() => void) | null = null;
  /** A paced page waiting for room. */
  private readonly onRoom: Array<() => void> = [];

  constructor(
    readonly input: { name: string; dtype: string; shape: number[] },
    readonly live: boolean,
  ) {
    if (input.dtype !== 'uint8')
      throw new AppError(
        'SOURCE_MISMATCH',
        `the page sends uint8 frames; this model wants ${input.dtype} input`,
      );
    this.name = live ? 'camera' : 'file';
    this.frameBytes = elementCount(input.shape);
  }

  counters(): SourceCounters {
    return { received: this.received, dropped: this.dropped, waiting: this.waiting.length };
  }

  /** Takes one frame from the page; a paced source resolves once it has room for it. */
  async push(bytes: Buffer): Promise<SourceCounters> {
    if (bytes.length !== this.frameBytes)
      throw new AppError(
        'FRAME_SIZE',
        `a frame must be ${this.frameBytes} bytes (${this.input.shape.join('x')} uint8); this one is ${bytes.length}`,
      );
    if (!this.live)
      while (this.waiting.length >= PACED_DEPTH && !this.closed)
        await new Promise<void>((r) => this.onRoom.push(r));
    if (this.closed) throw new AppError('RUN_NOT_LIVE', 'the run no longer takes frames');
    if (this.live && this.waiting.length > 0) {
      this.waiting.shift();
      this.dropped++;
    }
    this.waiting.push(bytes);
    this.received++;
    this.onFrame?.();
    return this.counters();
  }

  /** Resolves when a frame is waiting (or the source is closed): the coordinator's feed waits here. */
  async ready(): Promise<void> {
    while (this.waiting.length === 0 && !this.closed)
      await new Promise<void>((r) => (this.onFrame = r));
    this.onFrame = null;
  }

  async frame(id: number): Promise<WireTensor> {
    let bytes = this.sentById.get(id);
    if (!bytes) {
      bytes = this.waiting.shift();
      if (!bytes) throw new AppError('RUN_NOT_LIVE', 'the page stopped sending frames');
      this.onRoom.shift()?.();
      this.sentById.set(id, bytes);
      this.sentById.delete(id - KEEP_SENT);
    }
    return { name: this.input.name, dtype: 'uint8', shape: [...this.input.shape], bytes };
  }

  /** No more frames: the coordinator's wait and the page's paced pushes end. */
  close(): void {
    this.closed = true;
    this.onFrame?.();
    for (const r of this.onRoom.splice(0)) r();
  }
}
