// Frames (the `forward` message) on the wire without copying their tensors. Left to itself avsc
// copies every tensor twice on the way out (into a buffer of its own, then into the message) and
// twice on the way in (joining the message, then slicing the bytes out), and each copy is a fresh
// 150 KB buffer for the garbage collector. Here a forward request is encoded as avsc would encode
// it, byte for byte (so any Avro IPC peer reads it), but as a list of buffers in which each large
// tensor is its own, uncopied, entry: the framing writes the list in one gather write. On the way
// in a tensor's bytes are a view of the joined message instead of a copy of it (below).
import avro from 'avsc';
import { gather, MAX_FRAMES_PER_MESSAGE } from './framing';

/** The pieces of avsc's Type API used here (its typings omit a record's fields). */
interface AvroType {
  toBuffer(v: unknown): Buffer;
  schema(): unknown;
}
interface AvroRecord extends AvroType {
  name: string;
  fields: { name: string; type: AvroType }[];
}
interface AvroService {
  type(name: string): AvroType | undefined;
}

/** Tensors smaller than this are copied into the message: a gather entry costs more than that. */
const INLINE_BYTES = 16 * 1024;
/** Above this many separate tensors (two frames each) the framing's cap on frames would bite. */
const MAX_GATHERED = Math.floor((MAX_FRAMES_PER_MESSAGE - 1) / 2);

const longType = avro.Type.forSchema('long') as unknown as AvroType;
const headersType = avro.Type.forSchema({ type: 'map', values: 'bytes' }) as unknown as AvroType;
const NO_HEADERS = headersType.toBuffer({});

/**
 * The record `rec` without its last field, which must be `last`: a record's encoding is its
 * fields' encodings one after another, so the head and then the last field encode the whole.
 */
function headType(rec: AvroRecord, last: string): AvroType {
  if (rec.fields[rec.fields.length - 1]?.name !== last)
    throw new Error(`${rec.name}: "${last}" must be its last field for frame-wire`);
  return avro.Type.forSchema({
    type: 'record',
    name: `${rec.name.replace(/.*\./, '')}Head`,
    fields: rec.fields.slice(0, -1).map((f) => ({ name: f.name, type: f.type.schema() })),
  } as avro.Schema) as unknown as AvroType;
}

/** What avsc passes a client middleware: the request about to be encoded. */
interface OutgoingCall {
  _msg: { name: string };
  headers: Record<string, Buffer>;
  request: { frame?: EncodableFrame };
  toBuffer(): Buffer;
}

export interface FrameWire {
  /**
   * A forward request (call headers, message name, then the Frame) as avsc's WrappedRequest
   * would encode it: returns the buffer avsc hands to its channel, which the framing expands to
   * the full list (see gather()).
   */
  encodeForward(headers: Record<string, Buffer>, frame: EncodableFrame): Buffer;
  /** avsc client middleware that encodes every forward call with encodeForward. */
  clientMiddleware(call: OutgoingCall, reply: unknown, next: () => void): void;
}

export interface EncodableFrame {
  tensors: readonly { name: string; dtype: string; shape: readonly number[]; bytes: Buffer }[];
}

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
}

// Every `bytes` value avsc decodes is a view of the buffer it decodes instead of a copy (avsc's
// types are frozen, so this is set on the type's prototype, for every reader in the process:
// the protocol's tensors, and the small call and handshake metadata). The buffer is the message,
// which avsc allocates per message and never reuses, so a view stays valid as long as it is
// held. The checks are avsc's Tap.readBytes: a negative or overrunning length leaves the tap
// invalid, which avsc reports as a truncated message; nothing is allocated for a claimed length.
const { BytesType } = avro.types as unknown as Record<'BytesType', { prototype: object }>;
Object.assign(BytesType.prototype, {
  _read(tap: Tap): Buffer | undefined {
    const len = tap.readLong();
    const start = tap.pos;
    if (len < 0 || start + len > tap.buf.length) {
      tap.pos = tap.buf.length + 1;
      return undefined;
    }
    tap.pos = start + len;
    return tap.buf.subarray(start, start + len);
  },
});

/** The encoder of the protocol's forward message (see FrameWire). */
export function frameWire(service: AvroService, namespace: string): FrameWire {
  const frameType = service.type(`${namespace}.Frame`) as AvroRecord | undefined;
  const tensorType = service.type(`${namespace}.Tensor`) as AvroRecord | undefined;
  if (!frameType || !tensorType) throw new Error('frame-wire: the protocol has no Frame or Tensor');
  const frameHead = headType(frameType, 'tensors');
  const tensorHead = headType(tensorType, 'bytes');
  const forwardName = (avro.Type.forSchema('string') as unknown as AvroType).toBuffer('forward');

  const wire: FrameWire = {
    clientMiddleware(call, _reply, next) {
      const frame = call.request.frame;
      if (call._msg.name === 'forward' && frame)
        call.toBuffer = () => wire.encodeForward(call.headers, frame);
      next();
    },
    encodeForward(headers, frame) {
      const parts: Buffer[] = [];
      let small: Buffer[] = [
        Object.keys(headers).length ? headersType.toBuffer(headers) : NO_HEADERS,
        forwardName,
        frameHead.toBuffer(frame),
      ];
      const large = frame.tensors.filter((t) => t.bytes.length >= INLINE_BYTES).length;
      const separate = large <= MAX_GATHERED;
      const n = frame.tensors.length;
      // An Avro array: one block of n items, then the empty block that ends it.
      if (n > 0) small.push(longType.toBuffer(n));
      for (const t of frame.tensors) {
        // avsc refuses anything but a Buffer as `bytes`; so does this encoder.
        if (!Buffer.isBuffer(t.bytes))
          throw new Error(`tensor "${t.name}": bytes must be a Buffer`);
        small.push(tensorHead.toBuffer(t), longType.toBuffer(t.bytes.length));
        if (separate && t.bytes.length >= INLINE_BYTES) {
          parts.push(Buffer.concat(small), t.bytes);
          small = [];
        } else small.push(t.bytes);
      }
      small.push(longType.toBuffer(0));
      parts.push(Buffer.concat(small));
      return parts.length === 1 ? (parts[0] as Buffer) : gather(parts);
    },
  };
  return wire;
}
