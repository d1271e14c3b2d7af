// The spread of repeated runs: mean, sample standard deviation, min and max per figure, runs
// grouped by configuration, figures a run lacks left out of that figure's count.
import { describe, expect, it } from 'vitest';
import { groupRuns, spreadOf } from '../../../src-main/contract/spread';

const config = (plan: string) => ({ model: 'vgg16', farm: '9x pi3', plan, meters: 'wt300@h' });

describe('spread of repeated runs', () => {
  it('gives mean, sample standard deviation, min and max', () => {
    expect(spreadOf([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({
      n: 8,
      mean: 5,
      sd: Math.sqrt(32 / 7),
      min: 2,
      max: 9,
    });
    expect(spreadOf([1.5])).toEqual({ n: 1, mean: 1.5, sd: 0, min: 1.5, max: 1.5 });
    expect(spreadOf([null, undefined, Number.NaN])).toBeNull();
  });

  it('groups runs by model, farm, plan and meters, in first-seen order', () => {
    const groups = groupRuns([
      {
        runId: 'a',
        configuration: config('paper-9'),
        ips: 0.5,
        staticJ: 26,
        dynamicJ: 14,
        totalJ: 40,
      },
      {
        runId: 'b',
        configuration: config('auto'),
        ips: 1.2,
        staticJ: null,
        dynamicJ: null,
        totalJ: null,
      },
      {
        runId: 'c',
        configuration: config('paper-9'),
        ips: 0.46,
        staticJ: 28,
        dynamicJ: 12,
        totalJ: 40,
      },
      {
        runId: 'd',
        configuration: config('paper-9'),
        ips: null,
        staticJ: null,
        dynamicJ: null,
        totalJ: null,
      },
    ]);
    expect(groups.map((g) => [g.configuration.plan, g.runIds])).toEqual([
      ['paper-9', ['a', 'c', 'd']],
      ['auto', ['b']],
    ]);
    // Run d had no window: it counts in the group but not in its figures.
    expect(groups[0]!.spread.ips).toMatchObject({ n: 2, min: 0.46, max: 0.5 });
    expect(groups[0]!.spread.ips!.mean).toBeCloseTo(0.48, 12);
    expect(groups[0]!.spread.totalJ).toEqual({ n: 2, mean: 40, sd: 0, min: 40, max: 40 });
    expect(groups[0]!.spread.staticJ!.sd).toBeCloseTo(Math.SQRT2, 12);
    expect(groups[1]!.spread.totalJ).toBeNull();
  });
});
