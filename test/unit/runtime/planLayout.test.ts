// A plan's shape in one line, as classify and the demo print it: stages in order, replicas as xN,
// the parts of a split stage side by side.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src-main/contract/plan';
import { planLayout } from '../../../src-main/runtime/recognise';

const stage = (i: number, parts: string[][]) => ({
  id: `s${i}`,
  parts: parts.map((devices, j) => ({ id: `s${i}.p${j}`, devices })),
});

describe('planLayout', () => {
  it('names replicas and split parts', () => {
    const plan = {
      stages: [stage(0, [['a', 'b']]), stage(1, [['c'], ['d', 'e']]), stage(2, [['f']])],
    } as unknown as Plan;
    expect(planLayout(plan)).toBe('s0 x2 | s1.p0 + s1.p1 x2 | s2');
  });
});
