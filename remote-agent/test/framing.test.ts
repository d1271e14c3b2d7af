import { Duplex, PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MessageTooLargeError,
  PacketDecoder,
  PacketEncoder,
  packetStreams,
  type Packet,
} from '../src/protocol/framing';

async function encode(packets: Packet[]): Promise<Buffer> {
  const enc = new PacketEncoder();
  const bytes: Buffer[] = [];
  enc.on('data', (b: Buffer) => bytes.push(b));
  const ended = new Promise((resolve) => enc.on('end', resolve));
  for (const p of packets) enc.write(p);
  enc.end();
  await ended;
  return Buffer.concat(bytes);
}

async function roundTrip(
  packets: Packet[],
  chunkSizes: number[],
  limit?: number,
): Promise<Packet[]> {
  const all = await encode(packets);
  const dec = new PacketDecoder(limit);
  const out: Packet[] = [];
  dec.on('data', (p: Packet) => out.push(p));
  return new Promise((resolve, reject) => {
    dec.on('error', reject);
    dec.on('end', () => resolve(out));
    let off = 0;
    let i = 0;
    while (off < all.length) {
      const n = Math.max(1, chunkSizes[i++ % chunkSizes.length] ?? 1);
      dec.write(all.subarray(off, off + n));
      off += n;
    }
    dec.end();
  });
}

describe('packet framing', () => {
  it('decodes what it encodes, however the byte stream is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            payload: fc.array(
              fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
              { maxLength: 4 },
            ),
          }),
          { maxLength: 8 },
        ),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
        async (packets, chunks) => {
          const out = await roundTrip(packets, chunks);
          // A frame split over reads may come as pieces; a message's bytes are what counts.
          expect(
            out.map((p) => ({ id: p.id, bytes: Buffer.concat(p.payload).toString('hex') })),
          ).toEqual(
            packets.map((p) => ({ id: p.id, bytes: Buffer.concat(p.payload).toString('hex') })),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a message above the limit before buffering it', async () => {
    const big: Packet = { id: 1, payload: [Buffer.alloc(2000), Buffer.alloc(2000)] };
    await expect(roundTrip([big], [64], 3000)).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(roundTrip([big], [64], 4000)).resolves.toHaveLength(1);
  });

  it('refuses to send a message above the limit', async () => {
    const enc = new PacketEncoder(100);
    const err = new Promise((resolve) => enc.on('error', resolve));
    enc.pipe(new PassThrough());
    enc.write({ id: 1, payload: [Buffer.alloc(101)] });
    expect(await err).toBeInstanceOf(MessageTooLargeError);
  });

  it('sends the messages of one tick in one gather-write, in order, and the next tick in another', async () => {
    const writes: Buffer[][] = [];
    const socket = new Duplex({
      read() {},
      writev(chunks, cb) {
        writes.push(chunks.map((c) => c.chunk as Buffer));
        cb();
      },
      write(chunk: Buffer, _enc, cb) {
        writes.push([chunk]);
        cb();
      },
    });
    const { writable } = packetStreams(socket);
    const packet = (id: number): Packet => ({ id, payload: [Buffer.from(`message ${id}`)] });
    writable.write(packet(1));
    writable.write(packet(2));
    await new Promise((r) => setImmediate(r));
    writable.write(packet(3));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2);
    const dec = new PacketDecoder();
    const got: Packet[] = [];
    dec.on('data', (p: Packet) => got.push(p));
    for (const w of writes) dec.write(Buffer.concat(w));
    expect(got.map((p) => [p.id, Buffer.concat(p.payload).toString()])).toEqual([
      [1, 'message 1'],
      [2, 'message 2'],
      [3, 'message 3'],
    ]);
    expect(Buffer.concat(writes[0]!).includes('message 2')).toBe(true);
  });
});
