// The merged progress of several devices: steps in order, upload by bytes, failures finish.
import { describe, expect, it } from 'vitest';
import type { ProvisionProgress } from '../../../src-main/contract/provision';
import { ProvisionProgress as Schema } from '../../../src-main/contract/provision';
import { ProgressTracker } from '../../../src-main/provision/progress';

describe('ProgressTracker', () => {
  it('merges per-device steps and bytes into one monotonic overall value', () => {
    const seen: ProvisionProgress[] = [];
    const t = new ProgressTracker(['a', 'b'], (s) => seen.push(s));
    t.step('a', 'connect');
    t.step('a', 'probe');
    t.bytes('a', 0, 1000);
    t.bytes('a', 500, 1000);
    expect(t.snapshot().devices[0]).toMatchObject({
      step: 'upload',
      bytesDone: 500,
      bytesTotal: 1000,
    });
    expect(t.snapshot().devices[0]!.fraction).toBeCloseTo(0.1 + 0.35);
    t.step('b', 'connect');
    t.finish('b', false, 'UNREACHABLE');
    t.bytes('a', 1000, 1000);
    t.step('a', 'install');
    t.step('a', 'start');
    t.step('a', 'verify');
    t.finish('a', true, 'ok');
    const overall = seen.map((s) => s.overall);
    expect(overall).toEqual([...overall].sort((x, y) => x - y));
    expect(t.snapshot()).toMatchObject({
      overall: 1,
      devices: [{ step: 'done' }, { step: 'failed', message: 'UNREACHABLE' }],
    });
    for (const s of seen) Schema.parse(s);
  });

  it('an empty upload counts as done', () => {
    const t = new ProgressTracker(['a']);
    t.bytes('a', 0, 0);
    expect(t.snapshot().devices[0]!.fraction).toBeCloseTo(0.8);
  });

  it('tells listeners of byte progress at most every 100 ms, but always of the first and last', () => {
    let clock = 0;
    const told: number[] = [];
    const t = new ProgressTracker(
      ['a'],
      (_s, d) => told.push(d.bytesDone),
      () => clock,
    );
    for (let done = 0; done <= 64 * 100; done += 64) {
      t.bytes('a', done, 6400);
      clock += 7; // a chunk every 7 ms
    }
    expect(told[0]).toBe(0);
    expect(told.at(-1)).toBe(6400);
    expect(told.length).toBeGreaterThan(5);
    expect(told.length).toBeLessThan(10);
    // The state itself is always current, whatever was told.
    expect(t.snapshot().devices[0]!.bytesDone).toBe(6400);
  });
});
