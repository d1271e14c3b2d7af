import { describe, expect, it } from 'vitest';
import type { PeerClient } from '../../../remote-agent/src/protocol/endpoint';
import { Credits, Router } from '../../../remote-agent/src/protocol/route';
import type { Ack, Peer } from '../../../remote-agent/src/protocol/schema';
import { parseMilliCelsius, parseThrottled } from '../../../remote-agent/src/telemetry';

const peer = (id: string) => ({ id, host: '127.0.0.1', port: 1 });

describe('credits', () => {
  it('picks the replica with the fewest frames in flight and waits when every window is full', async () => {
    const c = new Credits(2);
    const [a, b] = [peer('a'), peer('b')];
    expect((await c.acquire([a, b])).id).toBe('a');
    expect((await c.acquire([a, b])).id).toBe('b');
    expect((await c.acquire([a, b])).id).toBe('a');
    expect((await c.acquire([a, b])).id).toBe('b');
    let got: string | null = null;
    const waiting = c.acquire([a, b]).then((p) => (got = p.id));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeNull();
    c.release('b');
    await waiting;
    expect(got).toBe('b');
    expect(c.total()).toBe(4);
  });

  it('replicas tied on load take turns, so a lightly loaded stage uses all its replicas', async () => {
    const c = new Credits(2);
    const replicas = [peer('a'), peer('b'), peer('c')];
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      // Each frame is answered before the next is sent: every replica is always at 0.
      const p = await c.acquire(replicas);
      got.push(p.id);
      c.release(p.id);
    }
    expect(got).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('a freed credit at a replica the waiter cannot use does not wake it for good', async () => {
    const c = new Credits(1);
    await c.acquire([peer('a')]);
    await c.acquire([peer('b')]);
    let got = false;
    const waiting = c.acquire([peer('a')]).then(() => (got = true));
    c.release('b');
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe(false);
    c.release('a');
    await waiting;
    expect(got).toBe(true);
  });
});

/** A deployment of one-part stages, each stage's part on these replicas. */
function deployment(...stages: Array<{ inputs: string[]; outputs: string[]; replicas: Peer[] }>) {
  return {
    runId: 'r',
    stages: stages.map((st, i) => ({
      id: `s${i}`,
      parts: [{ file: `s${i}.onnx`, sha256: `s${i}`, ...st }],
      concat: null,
    })),
    sink: peer('sink'),
    window: 4,
    holdMs: {},
  };
}

const client = (forward: () => Promise<Ack>) => async () => ({ forward }) as unknown as PeerClient;
const tensor = (name: string, bytes: number[]) => [
  { name, dtype: 'uint8', shape: [bytes.length], bytes: Buffer.from(bytes) },
];

describe('router', () => {
  it('a router drains once every message it sent is answered or has failed', async () => {
    const answers: Array<{ resolve(a: Ack): void; reject(e: Error): void }> = [];
    const router = new Router(
      deployment({ inputs: ['in'], outputs: ['out'], replicas: [peer('a')] }),
      client(() => new Promise<Ack>((resolve, reject) => answers.push({ resolve, reject }))),
    );
    await router.drained();
    const sent = await Promise.all(
      [0, 1].map((id) => router.send(id, -1, 0, [], tensor('in', [1]))),
    );
    for (const s of sent) s.acked.catch(() => undefined);
    let drained = false;
    const draining = router.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(answers).toHaveLength(2);
    answers[0]!.resolve({ frameId: 0, tensors: [] });
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    answers[1]!.reject(new Error('gone'));
    await draining;
    expect(router.credits.total()).toBe(0);
  });

  it('a router pays airtime for a message to another board, not for one to a part of its own', async () => {
    const paid: number[] = [];
    const link = {
      transmit: async (bytes: number) => void paid.push(bytes),
      close: () => undefined,
    };
    const answer = client(async () => ({ frameId: 0, tensors: [] }));
    for (const next of [peer('self'), peer('other')]) {
      const router = new Router(
        deployment(
          { inputs: ['in'], outputs: ['mid'], replicas: [peer('self')] },
          { inputs: ['mid'], outputs: ['out'], replicas: [next] },
        ),
        answer,
        link,
        'self',
      );
      await (
        await router.send(0, 0, 0, [], tensor('mid', [1, 2, 3]))
      ).acked;
    }
    expect(paid).toEqual([3]);
  });
});

describe('board telemetry parsers', () => {
  it('reads vcgencmd get_throttled and the thermal zone', () => {
    expect(parseThrottled('throttled=0x50005\n')).toBe(0x50005);
    expect(parseThrottled('throttled=0x0')).toBe(0);
    expect(parseThrottled('error')).toBeNull();
    expect(parseMilliCelsius('52300\n')).toBeCloseTo(52.3);
    expect(parseMilliCelsius(null)).toBeNull();
    expect(parseMilliCelsius('n/a')).toBeNull();
  });
});
