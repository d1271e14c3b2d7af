import { describe, expect, it } from 'vitest';
import { Credits } from '../../../remote-agent/src/protocol/route';
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
  it('reads vcgencmd get_throttled and the thermal zone', () => {
    expect(parseThrottled('throttled=0x50005\n')).toBe(0x50005);
    expect(parseThrottled('throttled=0x0')).toBe(0);
    expect(parseThrottled('error')).toBeNull();
    expect(parseMilliCelsius('52300\n')).toBeCloseTo(52.3);
    expect(parseMilliCelsius(null)).toBeNull();
    expect(parseMilliCelsius('n/a')).toBeNull();
  });
});
