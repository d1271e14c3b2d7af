import { PassThrough } from 'node:stream';
import avro, { type Service } from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePacket, PacketDecoder, PacketEncoder, type Packet } from '../src/protocol/framing';
import { agentService, frameCodec, type Frame, type WireTensor } from '../src/protocol/schema';

const forwardRequest = (
  agentService as unknown as { message(n: string): { requestType: avro.Type } }
).message('forward').requestType;

/** What avsc itself sends for a forward call (WrappedRequest.toBuffer): headers, name, request. */
function avscEncoding(headers: Record<string, Buffer>, frame: Frame): Buffer {
  return Buffer.concat([
    avro.Type.forSchema({ type: 'map', values: 'bytes' }).toBuffer(headers),
    avro.Type.forSchema('string').toBuffer('forward'),
    forwardRequest.toBuffer({ frame }),
  ]);
}

/** The bytes of the message the framing sends for a stand-in (its frames joined). */
function sent(standIn: Buffer): { bytes: Buffer; frames: Buffer[] } {
  const wire = encodePacket({ id: 1, payload: [standIn] });
  // [id][count] then [length][frame] pairs: keep the frames.
  const frames = wire.slice(1).filter((_, i) => i % 2 === 1);
  return { bytes: Buffer.concat(frames), frames };
}

const tensor = (name: string, size: number, fill = 7): WireTensor => ({
  name,
  dtype: 'uint8',
  shape: [1, size],
  bytes: Buffer.alloc(size, fill),
});

const frameWith = (tensors: WireTensor[]): Frame => ({
  runId: 'run-1',
  frameId: 41,
  stage: 0,
  part: 0,
  fromPart: 0,
  consumers: ['b1', 'b2'],
  tensors,
});

describe('frames on the wire', () => {
  it('encodes a forward call byte for byte as avsc does, whatever its tensors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 })),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (sizes, rawHeaders, frameId) => {
          const headers = Object.fromEntries(
            Object.entries(rawHeaders).map(([k, v]) => [k, Buffer.from(v)]),
          );
          const frame = { ...frameWith(sizes.map((n, i) => tensor(`t${i}`, n, i))), frameId };
          // (Buffer.equals: vitest's deep equality walks a buffer byte by byte.)
          const ours = sent(frameCodec.encodeForward(headers, frame)).bytes;
          expect(ours.equals(avscEncoding(headers, frame))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sends a large tensor as its own frame, the very buffer, uncopied', () => {
    const big = tensor('input', 150_528);
    const small = tensor('mask', 100);
    const { frames } = sent(frameCodec.encodeForward({}, frameWith([big, small])));
    expect(frames).toContain(big.bytes);
    // The small one travels inside a frame of its own header's.
    expect(frames.some((f) => f === small.bytes)).toBe(false);
    expect(frames).toHaveLength(3);
  });

  it('expands a stand-in once: its parts are not kept after the message is encoded', () => {
    const big = tensor('input', 20_000);
    const standIn = frameCodec.encodeForward({}, frameWith([big]));
    expect(sent(standIn).frames).toContain(big.bytes);
    expect(sent(standIn).frames).toEqual([standIn]);
  });

  it('decodes tensors as views of the received message, not copies', () => {
    const frame = frameWith([tensor('a', 20_000, 1), tensor('b', 30, 2)]);
    const message = forwardRequest.toBuffer({ frame });
    const got = (forwardRequest.fromBuffer(message) as { frame: Frame }).frame;
    expect(got.tensors.map((t) => t.bytes)).toEqual(frame.tensors.map((t) => t.bytes));
    for (const t of got.tensors) expect(t.bytes.buffer).toBe(message.buffer);
  });

  it('still refuses a tensor whose length runs past the message, allocating nothing', () => {
    const frame = frameWith([tensor('a', 1000)]);
    const message = forwardRequest.toBuffer({ frame });
    expect(() => forwardRequest.fromBuffer(message.subarray(0, message.length - 10))).toThrow(
      /truncated/,
    );
  });

  it('a real client and server exchange such frames over the framing, none mixed with another', async () => {
    const toServer = new PacketEncoder();
    const toClient = new PacketEncoder();
    const serverIn = new PacketDecoder();
    const clientIn = new PacketDecoder();
    toServer.pipe(serverIn);
    toClient.pipe(clientIn);
    const server = agentService.createServer({ silent: true } as Parameters<
      Service['createServer']
    >[0]);
    const seen: Array<{ frameId: number; first: number; size: number }> = [];
    (
      server as unknown as {
        onMessage(
          n: string,
          fn: (r: { frame: Frame }, cb: (e: null, a: unknown) => void) => void,
        ): void;
      }
    ).onMessage('forward', ({ frame }, cb) => {
      const t = frame.tensors[0] as WireTensor;
      if (t.bytes.some((b) => b !== t.bytes[0])) throw new Error('mixed bytes');
      seen.push({ frameId: frame.frameId, first: t.bytes[0] as number, size: t.bytes.length });
      cb(null, { frameId: frame.frameId });
    });
    server.createChannel(
      { readable: serverIn, writable: toClient } as unknown as Service.Transport,
      {
        objectMode: true,
      },
    );
    const client = agentService.createClient({ timeout: 0 });
    client.use(frameCodec.clientMiddleware as unknown as Parameters<typeof client.use>[0]);
    client.createChannel(
      { readable: clientIn, writable: toServer } as unknown as Service.Transport,
      {
        objectMode: true,
      },
    );
    // avsc's generated message methods are not in its typings.
    const calls = client as unknown as {
      forward(f: Frame, cb: (e: unknown, a: unknown) => void): void;
    };
    const forward = calls.forward.bind(calls);
    const acks = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          new Promise((resolve, reject) =>
            forward({ ...frameWith([tensor('x', 20_000 + i * 1000, i)]), frameId: i }, (e, a) =>
              e ? reject(e as Error) : resolve(a),
            ),
          ),
      ),
    );
    expect(acks).toEqual(Array.from({ length: 12 }, (_, i) => ({ frameId: i, tensors: [] })));
    expect(seen.sort((a, b) => a.frameId - b.frameId)).toEqual(
      Array.from({ length: 12 }, (_, i) => ({ frameId: i, first: i, size: 20_000 + i * 1000 })),
    );
  });

  it('counts the gathered parts against the message size limit', async () => {
    const standIn = frameCodec.encodeForward({}, frameWith([tensor('x', 50_000)]));
    expect(standIn.length).toBeLessThan(100);
    const enc = new PacketEncoder(40_000);
    const err = new Promise((resolve) => enc.on('error', resolve));
    enc.pipe(new PassThrough());
    enc.write({ id: 1, payload: [standIn] } satisfies Packet);
    expect(await err).toHaveProperty(
      'message',
      expect.stringMatching(/exceeds the 40000-byte limit/),
    );
  });
});
