// Message framing on a byte stream, compatible with avsc's (and Java Avro's) Netty codec: each
// message is [id:int32][count:int32] then `count` x [length:int32][bytes]. We write our own
// instead of avsc's because avsc's decoder has no size limit (a peer could make us buffer
// gigabytes) and re-concatenates its whole buffer on every chunk (quadratic on large frames).
import { Transform, type TransformCallback } from 'node:stream';

/** What avsc's object-mode channels read and write. */
export interface Packet {
  id: number;
  payload: Buffer[];
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class MessageTooLargeError extends Error {
  constructor(size: number, limit: number) {
    super(`message of ${size} bytes exceeds the ${limit}-byte limit`);
  }
}

/** Bytes -> packets. Fails the stream on a message above `maxBytes`. */
export class PacketDecoder extends Transform {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private id: number | undefined;
  private remainingFrames = 0;
  private frames: Buffer[] = [];
  private messageBytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      this.drain();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private drain(): void {
    for (;;) {
      if (this.id === undefined) {
        if (this.buffered < 8) return;
        const head = this.takeBytes(8);
        this.id = head.readInt32BE(0);
        this.remainingFrames = head.readInt32BE(4);
        if (this.remainingFrames < 0 || this.remainingFrames > 1024) {
          throw new Error(`bad frame count ${this.remainingFrames}`);
        }
        this.messageBytes = 0;
      }
      while (this.remainingFrames > 0) {
        if (this.buffered < 4) return;
        const len = this.peekInt32();
        if (len < 0) throw new Error(`bad frame length ${len}`);
        if (this.messageBytes + len > this.maxBytes) {
          throw new MessageTooLargeError(this.messageBytes + len, this.maxBytes);
        }
        if (this.buffered < 4 + len) return;
        this.takeBytes(4);
        this.frames.push(this.takeBytes(len));
        this.messageBytes += len;
        this.remainingFrames--;
      }
      this.push({ id: this.id, payload: this.frames } satisfies Packet);
      this.frames = [];
      this.id = undefined;
    }
  }

  private peekInt32(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes n bytes from the front, copying only when they span chunks. */
  private takeBytes(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0] as Buffer;
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** Packets -> bytes. Refuses to send a message above `maxBytes` (the peer would drop us). */
export class PacketEncoder extends Transform {
  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super({ writableObjectMode: true });
  }

  override _transform(p: Packet, _enc: BufferEncoding, cb: TransformCallback): void {
    let size = 0;
    for (const b of p.payload) size += b.length;
    if (size > this.maxBytes) {
      cb(new MessageTooLargeError(size, this.maxBytes));
      return;
    }
    // One buffer per message: separate header writes would leave the socket as tiny segments.
    const out = Buffer.allocUnsafe(8 + 4 * p.payload.length + size);
    out.writeInt32BE(p.id, 0);
    out.writeInt32BE(p.payload.length, 4);
    let off = 8;
    for (const b of p.payload) {
      out.writeInt32BE(b.length, off);
      b.copy(out, off + 4);
      off += 4 + b.length;
    }
    this.push(out);
    cb();
  }
}
