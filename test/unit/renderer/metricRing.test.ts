// MetricRing: the live samples' ring buffer behind the Run view's charts.
import { describe, expect, it } from 'vitest';
import { MetricRing, type Point } from '../../../src-renderer/composables/metricRing';

function read(ring: MetricRing, channel: string): Array<[number, number]> {
  const points: Point[] = [];
  ring.copyInto(channel, points);
  return points.map((p) => [p.x, p.y]);
}

describe('MetricRing', () => {
  it('keeps samples oldest first until full, then drops the oldest', () => {
    const ring = new MetricRing(3);
    for (let t = 1; t <= 5; t++) ring.append(t, [['farm', t * 10]]);
    expect(ring.length).toBe(3);
    expect(read(ring, 'farm')).toEqual([
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
  });

  it('reads NaN where a channel had no value, so the line shows a gap', () => {
    const ring = new MetricRing(4);
    ring.append(1, [['farm', 1]]);
    ring.append(2, [
      ['farm', 2],
      ['pi-01', 7],
    ]);
    ring.append(3, [['farm', 3]]);
    expect(ring.channels()).toEqual(['farm', 'pi-01']);
    const pi = read(ring, 'pi-01');
    expect(pi.map(([x]) => x)).toEqual([1, 2, 3]);
    expect(pi[0]?.[1]).toBeNaN();
    expect(pi[1]?.[1]).toBe(7);
    expect(pi[2]?.[1]).toBeNaN();
  });

  it('refills the same point objects instead of allocating new ones', () => {
    const ring = new MetricRing(8);
    ring.append(1, [['farm', 1]]);
    ring.append(2, [['farm', 2]]);
    const points: Point[] = [];
    ring.copyInto('farm', points);
    const first = points[0];
    ring.append(3, [['farm', 3]]);
    ring.copyInto('farm', points);
    expect(points[0]).toBe(first);
    expect(points).toHaveLength(3);
    expect(points[2]).toEqual({ x: 3, y: 3 });
  });

  it("joins a meter's samples across the other meters' times when asked", () => {
    const ring = new MetricRing(5);
    ring.append(0.1, [['plug', 7]]);
    ring.append(0.15, [['wt300', 10]]);
    ring.append(0.35, [['wt300', 11]]);
    ring.append(1.1, [['plug', 7.5]]);
    const points: Point[] = [
      { x: 9, y: 9 },
      { x: 9, y: 9 },
      { x: 9, y: 9 },
      { x: 9, y: 9 },
    ];
    ring.copyInto('plug', points, true);
    expect(points).toEqual([
      { x: 0.1, y: 7 },
      { x: 1.1, y: 7.5 },
    ]);
    // Without it the line keeps its gaps (a device that stopped answering).
    expect(read(ring, 'plug').map(([, y]) => Number.isNaN(y))).toEqual([false, true, true, false]);
  });

  it('tells subscribers about appends and clears, and forgets everything on clear', () => {
    const ring = new MetricRing(4);
    let calls = 0;
    const unsubscribe = ring.subscribe(() => calls++);
    ring.append(1, [['farm', 1]]);
    ring.clear();
    expect(calls).toBe(2);
    expect(ring.length).toBe(0);
    expect(ring.channels()).toEqual([]);
    expect(read(ring, 'farm')).toEqual([]);
    unsubscribe();
    ring.append(2, [['farm', 2]]);
    expect(calls).toBe(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new MetricRing(0)).toThrow(RangeError);
    expect(() => new MetricRing(2.5)).toThrow(RangeError);
  });
});
