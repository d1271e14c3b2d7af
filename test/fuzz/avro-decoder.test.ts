// Issue 9.4, property-based fuzzing of the agent protocol's decoding: the byte stream a peer
// sends goes through the agent's packetStreams() (framing, size limit) into avsc's server channel
// for the real agentService, exactly the pieces `serve()` joins (minus TLS, which a farm peer has
// already passed). Random streams, mutated valid sessions and oversized length prefixes must each
// end in answers, or in a clear refusal (a framing error, an Avro error answer or server error),
// quickly, and never crash, hang or hand a handler a value outside the schema.
import { Duplex, PassThrough } from 'node:stream';
import fc from 'fast-check';
import { applyEdits, byteEdit } from './byte-edits';
import { describe, expect, it } from 'vitest';
import type { Service } from 'avsc';
import {
  MessageTooLargeError,
  PacketDecoder,
  PacketEncoder,
  PacketParser,
  packetStreams,
  type Packet,
} from '../../remote-agent/src/protocol/framing';
import { agentService, type Frame, type Outgoing } from '../../remote-agent/src/protocol/schema';
import { FUZZ_RUNS } from './budget';

const LIMIT = 64 * 1024;

type Handler = (
  req: Record<string, unknown>,
  cb: (err: Error | null, res?: unknown) => void,
) => void;

const deployment: Outgoing<'Deployment'> = {
  runId: 'run-1',
  stages: [
    {
      id: 's0',
      parts: [
        {
          file: 'a.onnx',
          sha256: 'ab'.repeat(32),
          inputs: ['x'],
          outputs: ['y'],
          replicas: [{ id: 'b1', host: '127.0.0.1', port: 7700 }],
        },
      ],
      concat: null,
    },
  ],
  sink: { id: 'coordinator', host: '127.0.0.1', port: 7701 },
  window: 2,
  holdMs: { 'b1/s0.p0': 1.5 },
};
const frame: Frame = {
  runId: 'run-1',
  frameId: 7,
  stage: 0,
  part: 0,
  fromPart: 0,
  consumers: ['b1'],
  tensors: [{ name: 'x', dtype: 'float32', shape: [1, 4], bytes: Buffer.alloc(16, 1) }],
};

/** The bytes of a real client session: handshake + ping, then deploy, forward, telemetry, undeploy. */
async function recordSession(): Promise<Buffer> {
  const toServer = new PacketEncoder(LIMIT);
  const chunks: Buffer[] = [];
  toServer.on('data', (c: Buffer) => chunks.push(c));
  const fromServer = new PassThrough({ objectMode: true });
  const client = agentService.createClient({ timeout: 0 });
  client.createChannel(
    { readable: fromServer, writable: toServer } as unknown as Service.Transport,
    { objectMode: true },
  );
  // avsc's generated message methods are not in its typings.
  const c = client as unknown as Record<string, (...a: unknown[]) => void>;
  c.ping!(42, () => undefined);
  // The first request carries the handshake; answer it so the channel sends the rest.
  await new Promise((r) => setImmediate(r));
  const server = agentService.createServer({ silent: true } as Parameters<
    Service['createServer']
  >[0]);
  const replay = new PassThrough({ objectMode: true });
  server.createChannel({ readable: replay, writable: fromServer } as unknown as Service.Transport, {
    objectMode: true,
  });
  (server as unknown as { onMessage(n: string, h: Handler): void }).onMessage('ping', (_r, cb) =>
    cb(null, {
      agentId: 'b1',
      protocolVersion: 1,
      backend: 'node',
      profile: null,
      runId: null,
      uptimeMs: 1,
      nonce: 42,
    }),
  );
  const decoded = new PacketDecoder(LIMIT);
  decoded.on('data', (p: Packet) => replay.write(p));
  decoded.write(Buffer.concat(chunks));
  await new Promise((r) => setTimeout(r, 10));
  c.deploy!(deployment, () => undefined);
  c.forward!(frame, () => undefined);
  c.telemetry!(() => undefined);
  c.undeploy!('run-1', () => undefined);
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(chunks);
}

interface Outcome {
  answers: number;
  framingError: Error | null;
  serverErrors: Error[];
  calls: string[];
}

/** What one fed stream led to; `current` is the case being fed (cases run one at a time). */
let current: Outcome = { answers: 0, framingError: null, serverErrors: [], calls: [] };

// One server for every case, as an agent has: handlers record the call and refuse it.
const server = agentService.createServer({ silent: true } as Parameters<
  Service['createServer']
>[0]);
server.on('error', (err: Error) => current.serverErrors.push(err));
for (const name of ['ping', 'deploy', 'forward', 'telemetry', 'undeploy']) {
  (server as unknown as { onMessage(n: string, h: Handler): void }).onMessage(name, (req, cb) => {
    current.calls.push(name);
    // avsc decoded it; the handler must only ever see a value of the schema.
    const type = (
      agentService.message(name) as unknown as { requestType: { isValid(v: unknown): boolean } }
    ).requestType;
    if (!type.isValid(req))
      throw new Error(
        `${name} got a value outside the schema: ${JSON.stringify(req).slice(0, 200)}`,
      );
    cb(new Error('refused by the test'));
  });
}

/**
 * Feeds `bytes` (in chunks of `chunk`) to a fresh channel of the server over packetStreams(), as
 * serve() does with a TLS socket: here a socket whose reads are the bytes and whose writes are
 * the answers.
 */
async function feed(bytes: Buffer, chunk = bytes.length || 1): Promise<Outcome> {
  const out: Outcome = { answers: 0, framingError: null, serverErrors: [], calls: [] };
  current = out;
  // A message goes out as several gather-writes: count answers as whole packets.
  const answers = new PacketParser(() => out.answers++, LIMIT);
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      answers.feed(chunk);
      cb();
    },
  });
  // packetStreams ends the connection with the framing error: that is the refusal.
  socket.on('error', (err: Error) => (out.framingError = err));
  server.createChannel(packetStreams(socket, LIMIT) as unknown as Service.Transport, {
    objectMode: true,
  });
  for (let i = 0; i < bytes.length && !socket.destroyed; i += chunk)
    socket.push(bytes.subarray(i, i + chunk));
  if (!socket.destroyed) socket.push(null);
  // Streams and avsc hand data on in later ticks: let them all run.
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  return out;
}

function oneLine(err: Error): void {
  expect(err.message.length).toBeGreaterThan(0);
  expect(err.message).not.toMatch(/\n/);
}

describe('the agent protocol decoder under fuzzing', () => {
  it('a recorded session is decoded and every message reaches its handler (so the fuzzing starts from valid bytes)', async () => {
    const session = await recordSession();
    const out = await feed(session);
    expect(out.framingError).toBeNull();
    expect(out.calls).toEqual(['ping', 'deploy', 'forward', 'telemetry', 'undeploy']);
    // The client's opening handshake ping is answered too.
    expect(out.answers).toBe(6);
  });

  it('random byte streams: refused with a clear error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        async (bytes, chunk) => {
          const t0 = performance.now();
          const out = await feed(Buffer.from(bytes), chunk);
          if (out.framingError) oneLine(out.framingError);
          out.serverErrors.forEach(oneLine);
          expect(performance.now() - t0).toBeLessThan(500);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('mutated valid sessions (bytes changed, inserted, deleted, counts and lengths made huge): answered or refused, never a crash or hang', async () => {
    const session = await recordSession();
    const edit = byteEdit({
      maxInsert: 6,
      maxDelete: 8,
      // Avro zig-zag varints for huge positive and negative counts and lengths.
      varints: [
        Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
        Buffer.from([0xfe, 0xff, 0xff, 0x07]),
        Buffer.from([0x80, 0xa8, 0xd6, 0xb9, 0x07]),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 512 }),
        async (edits, chunk) => {
          const bytes = applyEdits(session, edits);
          const t0 = performance.now();
          const out = await feed(bytes, chunk);
          if (out.framingError) oneLine(out.framingError);
          out.serverErrors.forEach(oneLine);
          expect(performance.now() - t0).toBeLessThan(500);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('oversized and negative length prefixes and frame counts are refused at once, before buffering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: LIMIT }),
        async (count, length, already) => {
          // One well-formed frame of `already` bytes (when the count allows), then the claim.
          const head = Buffer.alloc(12);
          head.writeInt32BE(1, 0);
          head.writeInt32BE(count, 4);
          const first = Buffer.alloc(4 + already);
          first.writeInt32BE(already, 0);
          head.writeInt32BE(length, 8);
          const stream =
            count >= 2 && count <= 1024
              ? Buffer.concat([head.subarray(0, 8), first, head.subarray(8)])
              : head;
          const out = await feed(stream);
          // With no frames the message is complete and `length` starts the next header.
          const frames = count >= 1 && count <= 1024;
          const bad =
            count < 0 ||
            count > 1024 ||
            (frames && (length < 0 || (count === 1 ? length : already + length) > LIMIT));
          if (bad) {
            expect(out.framingError).not.toBeNull();
            expect(out.framingError!.message).toMatch(
              /bad frame count|bad frame length|exceeds the \d+-byte limit/,
            );
            if (frames && length > LIMIT)
              expect(out.framingError).toBeInstanceOf(MessageTooLargeError);
          } else {
            // A claim within the limit just waits for its bytes: nothing is decoded or answered yet.
            expect(out.framingError).toBeNull();
            expect(out.calls).toEqual([]);
          }
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});
