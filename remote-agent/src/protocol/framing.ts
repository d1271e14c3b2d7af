// Message framing on a byte stream, compatible with avsc's (and Java Avro's) Netty codec: each
// message is [id:int32][count:int32] then `count` x [length:int32][bytes]. We write our own
// instead of avsc's because avsc's decoder has no size limit (a peer could make us buffer
// gigabytes) and re-concatenates its whole buffer on every chunk (quadratic on large frames);
// and because frames are the hot path, the codec talks to the socket directly: a message goes
// out in a corked gather-write (no copy of the tensor bytes in JS) that every message of the same
// tick shares, and comes in as the views of the socket reads that carried it (avsc joins a
// message's pieces into one buffer itself).
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import type { Duplex } from 'node:stream';

/** What avsc's object-mode channels read and write. */
export interface Packet {
  id: number;
  payload: Buffer[];
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const MAX_FRAMES_PER_MESSAGE = 1024;

export class MessageTooLargeError extends Error {
  constructor(size: number, limit: number) {
    super(`message of ${size} bytes exceeds the ${limit}-byte limit`);
  }
}

/** Bytes in, packets out; throws on a malformed message or one above `maxBytes`. */
export class PacketParser {
  private head = Buffer.alloc(0);
  private id = 0;
  private framesLeft = -1;
  private frames: Buffer[] = [];
  private messageBytes = 0;
  /**
   * The frame being received when it spans reads: its pieces, joined once complete. Nothing is
   * allocated for a length a peer merely claims.
   */
  private partial: { len: number; pieces: Buffer[]; filled: number } | null = null;

  constructor(
    private readonly onPacket: (p: Packet) => void,
    private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length || this.readyToEmit()) {
      if (this.readyToEmit()) {
        this.emit();
        continue;
      }
      const partial = this.partial;
      if (partial) {
        const n = Math.min(partial.len - partial.filled, chunk.length - off);
        partial.pieces.push(chunk.subarray(off, off + n));
        partial.filled += n;
        off += n;
        if (partial.filled === partial.len) this.endPieces(partial.pieces);
        continue;
      }
      // Message header (8 bytes) or frame length (4 bytes), possibly split across reads.
      const want = this.framesLeft < 0 ? 8 : 4;
      if (this.head.length > 0 || chunk.length - off < want) {
        const n = Math.min(want - this.head.length, chunk.length - off);
        this.head = Buffer.concat([this.head, chunk.subarray(off, off + n)]);
        off += n;
        if (this.head.length < want) return;
        this.header(this.head);
        this.head = Buffer.alloc(0);
        continue;
      }
      this.header(chunk.subarray(off, off + want));
      off += want;
      const started = this.partial as { len: number } | null;
      if (started && chunk.length - off >= started.len) {
        // The whole frame is in this read: keep a view, copy nothing.
        const frame = chunk.subarray(off, off + started.len);
        off += started.len;
        this.endFrame(frame);
      }
    }
  }

  private readyToEmit(): boolean {
    return this.framesLeft === 0 && this.partial === null;
  }

  private header(b: Buffer): void {
    if (this.framesLeft < 0) {
      this.id = b.readInt32BE(0);
      this.framesLeft = b.readInt32BE(4);
      if (this.framesLeft < 0 || this.framesLeft > MAX_FRAMES_PER_MESSAGE)
        throw new Error(`bad frame count ${this.framesLeft}`);
      this.messageBytes = 0;
      return;
    }
    const len = b.readInt32BE(0);
    if (len < 0) throw new Error(`bad frame length ${len}`);
    if (this.messageBytes + len > this.maxBytes)
      throw new MessageTooLargeError(this.messageBytes + len, this.maxBytes);
    this.messageBytes += len;
    if (len === 0) {
      this.endFrame(Buffer.alloc(0));
      return;
    }
    this.partial = { len, pieces: [], filled: 0 };
  }

  private endFrame(frame: Buffer): void {
    this.endPieces([frame]);
  }

  /**
   * A frame's bytes as the reads delivered them. avsc joins a message's frames into one buffer
   * anyway, so a frame split over reads is passed on as its pieces: joining them here too would
   * copy every large tensor twice.
   */
  private endPieces(pieces: Buffer[]): void {
    this.partial = null;
    for (const p of pieces) this.frames.push(p);
    this.framesLeft--;
  }

  private emit(): void {
    const p = { id: this.id, payload: this.frames };
    this.frames = [];
    this.framesLeft = -1;
    this.onPacket(p);
  }
}

/** Buffers that stand for a list of buffers (see gather()). */
const gathered = new WeakMap<Buffer, readonly Buffer[]>();

/**
 * Returns a buffer that stands for `parts` in a packet's payload: avsc hands its channel one
 * buffer per message, and this lets a message it never saw whole (frame-wire.ts) go out as a
 * gather write, each part one frame of the message. A stock Avro IPC reader joins the frames.
 * A stand-in is expanded once, when its message is encoded.
 */
export function gather(parts: readonly Buffer[]): Buffer {
  const standIn = parts[0] ?? Buffer.alloc(0);
  gathered.set(standIn, parts);
  return standIn;
}

/** The buffers of one message on the wire, in order (the payload buffers are not copied). */
export function encodePacket(p: Packet, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Buffer[] {
  const payload = p.payload.flatMap((b) => {
    const parts = gathered.get(b);
    if (!parts) return [b];
    // Sent once: drop the entry now rather than at the next full GC (V8 clears a WeakMap's
    // entries only then, and until then they would keep every part alive).
    gathered.delete(b);
    return parts;
  });
  let size = 0;
  for (const b of payload) size += b.length;
  if (size > maxBytes) throw new MessageTooLargeError(size, maxBytes);
  const head = Buffer.allocUnsafe(8 + 4 * payload.length);
  head.writeInt32BE(p.id, 0);
  head.writeInt32BE(payload.length, 4);
  const parts: Buffer[] = [head.subarray(0, 8)];
  payload.forEach((b, i) => {
    head.writeInt32BE(b.length, 8 + 4 * i);
    parts.push(head.subarray(8 + 4 * i, 12 + 4 * i), b);
  });
  return parts;
}

/**
 * The object-mode streams avsc's channels take, over a socket. A framing error (an oversized or
 * malformed message, or one we would refuse to send) ends the connection, not the process.
 */
export function packetStreams(
  socket: Duplex,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): { readable: Readable; writable: Writable } {
  const readable = new Readable({ objectMode: true, read() {} });
  const parser = new PacketParser((p) => readable.push(p), maxBytes);
  socket.on('data', (chunk: Buffer) => {
    try {
      parser.feed(chunk);
    } catch (err) {
      socket.destroy(err as Error);
    }
  });
  socket.on('end', () => readable.push(null));
  socket.on('close', () => readable.push(null));
  let corked = false;
  const writable = new Writable({
    objectMode: true,
    write(p: Packet, _enc, cb) {
      let parts: Buffer[];
      try {
        parts = encodePacket(p, maxBytes);
      } catch (err) {
        cb(err as Error);
        socket.destroy(err as Error);
        return;
      }
      // Messages written in the same tick (answers to a burst of requests, a result and the next
      // frame) go out as one corked gather-write: TLS seals them into as few records as it can,
      // one system call sends them and the peer is woken once. The tick's end is not a wait.
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      for (const b of parts) socket.write(b);
      cb();
    },
    final(cb) {
      socket.end();
      cb();
    },
  });
  writable.on('error', () => socket.destroy());
  return { readable, writable };
}

/** Bytes -> packets as a stream (for tests and tools that work on streams, not sockets). */
export class PacketDecoder extends Transform {
  private readonly parser: PacketParser;

  constructor(maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super({ readableObjectMode: true });
    this.parser = new PacketParser((p) => this.push(p), maxBytes);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.parser.feed(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** Packets -> bytes as a stream; refuses to send a message above `maxBytes`. */
export class PacketEncoder extends Transform {
  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super({ writableObjectMode: true });
  }

  override _transform(p: Packet, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.push(Buffer.concat(encodePacket(p, this.maxBytes)));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}
