import { describe, expect, it } from 'vitest';
import { mediumLink, portLink, serveMedium } from '../src/protocol/medium';

describe('emulated links', () => {
  it('devices on one shared medium take turns: two senders share its bandwidth', async () => {
    const medium = await serveMedium(8); // 8 Mbit/s = 1 byte per microsecond
    const [a, b] = await Promise.all([
      mediumLink('127.0.0.1', medium.port),
      mediumLink('127.0.0.1', medium.port),
    ]);
    try {
      const t0 = performance.now();
      // 100 kB each: 100 ms alone, 200 ms for both on the shared air.
      await Promise.all([a.transmit(100_000), b.transmit(100_000)]);
      const both = performance.now() - t0;
      expect(both).toBeGreaterThanOrEqual(195);
      expect(both).toBeLessThan(400);
    } finally {
      a.close();
      b.close();
      await medium.close();
    }
  });

  it('a switched port paces only its own traffic, and a lost medium fails messages instead of letting them through unpaced', async () => {
    const p = portLink(8);
    const t0 = performance.now();
    await Promise.all([p.transmit(50_000), p.transmit(50_000)]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    const medium = await serveMedium(8);
    const link = await mediumLink('127.0.0.1', medium.port);
    await medium.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(link.transmit(10)).rejects.toThrow(/emulated medium .* is gone/);
  });
});
