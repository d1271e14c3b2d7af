import { describe, expect, it } from 'vitest';
import { ipsAfterWarmup, percentile, warmupFrames } from '../../../src-main/runtime/stats';

describe('run figures', () => {
  it('percentiles by nearest rank', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 95)).toBe(95);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('IPS counts only frames completed after warm-up, over the time they took', () => {
    // 10 slow warm-up frames (100 ms apart), then 90 frames 10 ms apart: 100 IPS, not less.
    const done = [
      ...Array.from({ length: 10 }, (_, i) => i * 100),
      ...Array.from({ length: 90 }, (_, i) => 900 + (i + 1) * 10),
    ];
    expect(warmupFrames(done.length)).toBe(10);
    expect(ipsAfterWarmup(done, 10)).toBeCloseTo(100, 6);
    expect(ipsAfterWarmup([0, 10, 20], 0)).toBeCloseTo(100, 6);
    expect(ipsAfterWarmup([5], 0)).toBeNull();
  });
});
