// Hand-made hostile messages of the agent protocol, byte for byte as a peer would send them
// (framing, Avro handshake, call header, request), for the tests that throw them at real agents.
import { agentService } from '../../remote-agent/src/protocol/schema';

/** Avro's zig-zag varint encoding of a long. */
export function zigzag(n: number): Buffer {
  let z = n >= 0 ? BigInt(n) * 2n : BigInt(-n) * 2n - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function avroString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([zigzag(b.length), b]);
}

/** One framed message: [id][frame count][length][payload]. */
export function framed(id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeInt32BE(id, 0);
  head.writeInt32BE(1, 4);
  head.writeInt32BE(payload.length, 8);
  return Buffer.concat([head, payload]);
}

/** The opening handshake of a client that speaks exactly this protocol, then a call's header. */
export function callHead(message: string): Buffer {
  const hash = (agentService as unknown as { hash: Buffer }).hash;
  return Buffer.concat([
    hash, // clientHash
    Buffer.from([0]), // clientProtocol: null (the server knows this hash)
    hash, // serverHash
    Buffer.from([0]), // handshake meta: null
    Buffer.from([0]), // call metadata: empty map
    avroString(message),
  ]);
}

export function hostileMessages(): Record<string, Buffer> {
  const tooLong = Buffer.alloc(12);
  tooLong.writeInt32BE(1, 0);
  tooLong.writeInt32BE(1, 4);
  tooLong.writeInt32BE(2 ** 31 - 1, 8);
  return {
    'an oversized length prefix': tooLong,
    'a deploy claiming 2^31 stages in 20 bytes': framed(
      1,
      Buffer.concat([callHead('deploy'), avroString('r'), zigzag(2 ** 31 - 1)]),
    ),
    'a forward claiming 10^15 tensor dimensions': framed(
      2,
      Buffer.concat([
        callHead('forward'),
        avroString('r'),
        zigzag(1),
        zigzag(0),
        zigzag(0),
        zigzag(0),
        zigzag(0),
        zigzag(1),
        avroString('x'),
        avroString('float32'),
        zigzag(1e15),
      ]),
    ),
    'a deploy whose holdMs map claims 2^40 entries': framed(
      3,
      Buffer.concat([
        callHead('deploy'),
        avroString('r'),
        zigzag(0),
        avroString('c'),
        avroString('h'),
        zigzag(1),
        zigzag(1),
        zigzag(2 ** 40),
      ]),
    ),
    'an unknown message name': framed(4, Buffer.concat([callHead('format-disk'), zigzag(0)])),
    'garbage after a valid handshake': framed(
      5,
      Buffer.concat([
        callHead('ping'),
        Buffer.from('\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'),
      ]),
    ),
  };
}
