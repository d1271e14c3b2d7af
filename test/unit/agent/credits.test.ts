import { describe, expect, it } from 'vitest';
import type { PeerClient } from '../../../remote-agent/src/protocol/endpoint';
import { Credits, Router } from '../../../remote-agent/src/protocol/route';
import type { Ack } from '../../../remote-agent/src/protocol/schema';
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

describe('board telemetry parsers', () => {
  it('a router drains once every message it sent is answered or has failed', async () => {
    const answers: Array<{ resolve(a: Ack): void; reject(e: Error): void }> = [];
    const client = {
      forward: () => new Promise<Ack>((resolve, reject) => answers.push({ resolve, reject })),
    } as unknown as PeerClient;
    const router = new Router(
      {
        runId: 'r',
        stages: [
          {
            id: 's0',
            parts: [
              {
                file: 'p.onnx',
                sha256: 'x',
                inputs: ['in'],
                outputs: ['out'],
                replicas: [peer('a')],
              },
            ],
            concat: null,
          },
        ],
        sink: peer('sink'),
        window: 4,
        holdMs: {},
      },
      async () => client,
    );
    await router.drained();
    const input = [{ name: 'in', dtype: 'uint8', shape: [1], bytes: Buffer.from([1]) }];
    const sent = await Promise.all([0, 1].map((id) => router.send(id, -1, 0, [], input)));
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
    const client = {
      forward: async () => ({ frameId: 0, tensors: [] }),
    } as unknown as PeerClient;
    const [self, other] = [peer('self'), peer('other')];
    const deployment = (next: typeof self) => ({
      runId: 'r',
      stages: [
        {
          id: 's0',
          parts: [
            { file: 'a.onnx', sha256: 'a', inputs: ['in'], outputs: ['mid'], replicas: [self] },
          ],
          concat: null,
        },
        {
          id: 's1',
          parts: [
            { file: 'b.onnx', sha256: 'b', inputs: ['mid'], outputs: ['out'], replicas: [next] },
          ],
          concat: null,
        },
      ],
      sink: peer('sink'),
      window: 4,
      holdMs: {},
    });
    const mid = [{ name: 'mid', dtype: 'uint8', shape: [3], bytes: Buffer.from([1, 2, 3]) }];
    for (const next of [self, other]) {
      const router = new Router(deployment(next), async () => client, link, 'self');
      await (
        await router.send(0, 0, 0, [], mid)
      ).acked;
    }
    expect(paid).toEqual([3]);
  });

  it('reads vcgencmd get_throttled and the thermal zone', () => {
    expect(parseThrottled('throttled=0x50005\n')).toBe(0x50005);
    expect(parseThrottled('throttled=0x0')).toBe(0);
    expect(parseThrottled('error')).toBeNull();
    expect(parseMilliCelsius('52300\n')).toBeCloseTo(52.3);
    expect(parseMilliCelsius(null)).toBeNull();
    expect(parseMilliCelsius('n/a')).toBeNull();
  });
});
