// Issue 9.2, strangers: a real agent process refuses a plain TCP client, a TLS client without a
// certificate and a TLS client with another farm's certificate before it processes anything they
// send. Each stranger sends a complete, valid `deploy`; the proof that it was not processed is the
// agent's own state (its health names no run), checked against a farm peer whose identical
// `deploy` does change it. Issue 9.4 on the same agent: a farm peer's hostile messages (an
// oversized length prefix, a 20-byte deploy claiming 2^31 stages, garbage) end that connection
// or get an error answer, and the agent keeps serving.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerClient } from '../../remote-agent/src/protocol/endpoint';
import { PacketDecoder, PacketEncoder } from '../../remote-agent/src/protocol/framing';
import { agentService, type Outgoing } from '../../remote-agent/src/protocol/schema';
import { hostileMessages } from '../fuzz/hostile-avro';
import type { Manifest } from '../../src-main/contract/index';
import { startEphemeralFarm, type EphemeralFarm } from '../../src-main/farm/ephemeral';
import { placeParts } from '../../src-main/farm/parts';
import { createFarmCa, issueIdentity } from '../../src-main/farm/pki';
import { buildZooModel, partitionModel } from '../../src-main/model/index';

let dir: string;
let farm: EphemeralFarm;
let deployment: Outgoing<'Deployment'>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mchair-strangers-'));
  const manifest: Manifest = await partitionModel(
    buildZooModel('tiny-cnn', { seed: 3 }),
    { cuts: [] },
    join(dir, 'parts'),
  );
  farm = await startEphemeralFarm({ agents: [{ id: 'b1' }], threads: 1 });
  const placed = await placeParts(manifest, join(dir, 'parts'), farm.partsDir);
  const agent = farm.agents[0]!;
  deployment = {
    runId: 'stranger-run',
    stages: placed.stages.map((s) => ({
      id: s.id,
      parts: s.parts.map((p) => ({
        ...p,
        replicas: [{ id: agent.id, host: agent.host, port: agent.port }],
      })),
      concat: s.concat ?? null,
    })),
    sink: { id: 'coordinator', host: '127.0.0.1', port: 9 },
    window: 1,
    holdMs: {},
  };
});
afterAll(async () => {
  await farm?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  /** The agent closed the socket. */
  closed: boolean;
  /** An Avro answer (result or error) came back: the request was processed. */
  answered: boolean;
}

/**
 * Sends a framed Avro `deploy` over any byte stream, as a farm peer would. Resolves on the
 * answer, or when the agent closes the socket; a stranger left connected fails after 10 s.
 */
function deployOver(socket: Duplex, d: Outgoing<'Deployment'>): Promise<Outcome> {
  const decoder = new PacketDecoder();
  const encoder = new PacketEncoder();
  socket.pipe(decoder);
  encoder.pipe(socket);
  decoder.on('error', () => socket.destroy());
  const client = agentService.createClient({ timeout: 0 });
  // avsc's typings know only byte-stream transports; its object-mode channels take {readable, writable}.
  client.createChannel(
    { readable: decoder, writable: encoder } as unknown as Parameters<
      typeof client.createChannel
    >[0],
    { objectMode: true },
  );
  const outcome: Outcome = { closed: false, answered: false };
  decoder.on('data', () => {
    outcome.answered = true;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the agent left a stranger connected for 10 s')),
      10_000,
    );
    const done = () => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      outcome.closed = true;
      done();
    });
    // avsc's generated message methods are not in its typings.
    (
      client as unknown as { deploy(d: Outgoing<'Deployment'>, cb: (err: unknown) => void): void }
    ).deploy(d, (err) => {
      if (!err) done();
    });
  });
}

/** A TLS connection whose client half of the handshake is done (TLS 1.3: the server may still refuse). */
async function tlsOpen(o: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  const a = farm.agents[0]!;
  const sock = tls.connect({
    host: a.host,
    port: a.port,
    ca: farm.coordinator.tls.ca,
    checkServerIdentity: () => undefined,
    ...o,
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

async function agentRunId(): Promise<string | null> {
  const peer = await PeerClient.connect(farm.agents[0]!, { tls: farm.coordinator.tls });
  try {
    return (await peer.ping(1)).runId;
  } finally {
    peer.close();
  }
}

describe('the farm CA key', () => {
  it('is not in the folder the agents read their identities from', async () => {
    const files = await readdir(farm.tlsDir);
    expect(files).toContain('ca.pem');
    expect(files).not.toContain('ca.key');
    // The only private keys there are the agents' and the coordinator's own.
    const keys = files.filter((f) => f.endsWith('.key')).sort();
    expect(keys).toEqual(['b1.key', 'coordinator.key']);
  });
});

describe('an agent refuses strangers before processing anything', () => {
  it('a plain TCP client is closed unanswered', async () => {
    const a = farm.agents[0]!;
    expect(await deployOver(net.connect(a.port, a.host), deployment)).toEqual({
      closed: true,
      answered: false,
    });
    expect(await agentRunId()).toBeNull();
  });

  it('a TLS client without a certificate is closed unanswered', async () => {
    // TLS 1.3 lets the client write right after its half of the handshake, before the agent has
    // judged it, so the deploy really reaches the agent's socket.
    expect(await deployOver(await tlsOpen({}), deployment)).toEqual({
      closed: true,
      answered: false,
    });
    expect(await agentRunId()).toBeNull();
  });

  it("a TLS client with another farm's certificate (same device name) is closed unanswered", async () => {
    const impostor = await issueIdentity(await createFarmCa('other-farm'), 'coordinator', [
      '127.0.0.1',
    ]);
    expect(await deployOver(await tlsOpen(impostor), deployment)).toEqual({
      closed: true,
      answered: false,
    });
    expect(await agentRunId()).toBeNull();
  });

  it('the same deploy from a farm peer is processed (so the checks above can fail)', async () => {
    const sock = await tlsOpen({ cert: farm.coordinator.tls.cert, key: farm.coordinator.tls.key });
    expect(await deployOver(sock, deployment)).toEqual({ closed: false, answered: true });
    sock.destroy();
    expect(await agentRunId()).toBe('stranger-run');
  });
});

describe("a farm peer's hostile messages", () => {
  for (const [what, bytes] of Object.entries(hostileMessages())) {
    it(`${what}: the connection ends or is answered with an error, and the agent keeps serving`, async () => {
      const runBefore = await agentRunId();
      const sock = await tlsOpen({
        cert: farm.coordinator.tls.cert,
        key: farm.coordinator.tls.key,
      });
      const answered = new Promise<Buffer>((resolve) => {
        let got = Buffer.alloc(0);
        // An answer (an Avro error) may come instead of a close: take what came 100 ms after it.
        sock.on('data', (d: Buffer) => {
          got = Buffer.concat([got, d]);
          setTimeout(() => sock.destroy(), 100);
        });
        sock.on('close', () => resolve(got));
        sock.on('error', () => undefined);
        setTimeout(() => sock.destroy(), 5000);
      });
      sock.write(bytes);
      const t0 = performance.now();
      const reply = await answered;
      // Nothing it sent was carried out, and the agent answers farm peers as before.
      if (reply.length > 0)
        expect(reply.toString('latin1')).toMatch(/INVALID|bad|truncated|claims|limit/i);
      expect(await agentRunId()).toBe(runBefore);
      expect(performance.now() - t0).toBeLessThan(10_000);
    });
  }
});
