// Run figures: percentiles by nearest rank, IPS after warm-up, and the bounded RunFigures a
// coordinator keeps however long a run streams.
import { describe, expect, it } from 'vitest';
import { percentile, RunFigures, warmupFrames } from '../../../src-main/runtime/stats';

function figuresOf(doneAt: readonly number[], latency = (i: number) => i): RunFigures {
  const f = new RunFigures();
  doneAt.forEach((t, i) => f.add(latency(i), t));
  return f;
}

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
    expect(figuresOf(done).ips()).toBeCloseTo(100, 6);
    expect(figuresOf([0, 10, 20]).ips()).toBeCloseTo(100, 6);
    expect(figuresOf([5]).ips()).toBeNull();
  });

  it('latency percentiles leave out the warm-up frames', () => {
    // 100 frames: the first 10 (warm-up) take 1000 ms, the rest 1..90 ms.
    const f = figuresOf(
      Array.from({ length: 100 }, (_, i) => i),
      (i) => (i < 10 ? 1000 : i - 9),
    );
    expect(f.latency()).toEqual({ p50: 45, p95: 86, p99: 90 });
    expect(f.recentLatency50And95().p95).toBe(1000);
  });

  it('stays bounded over a long run and keeps its percentiles close', () => {
    const f = new RunFigures();
    // Two million frames, latency uniform over 0..999 ms.
    for (let i = 0; i < 2_000_000; i++) f.add(i % 1000, i);
    const lat = f.latency();
    expect(lat.p50).toBeGreaterThan(480);
    expect(lat.p50).toBeLessThan(520);
    expect(lat.p99).toBeGreaterThan(980);
    expect(f.ips()).toBeCloseTo(1000, 0);
    expect(f.completed).toBe(2_000_000);
    // The rate window sees the last frames.
    expect(f.completedBetween(1_999_000, 1_999_999)).toBe(999);
  });
});
