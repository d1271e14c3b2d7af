// What keeps the grouped heuristic quick on long chains and on farms the coordinator caps: the
// grouped programme's thinned cuts, and the bisection starting at the coordinator's port cap.
import { describe, expect, it } from 'vitest';
import { bytesPerSecOf, CostModel } from '../../../src-main/planner/cost';
import { farmFromFile } from '../../../src-main/planner/farm';
import { analyseChain, coarseCuts, groupedCuts } from '../../../src-main/planner/layers';
import { searchSteps, upperBoundIps } from '../../../src-main/planner/search';
import { chainModel, smallCnn } from './fixtures';

/** 30 convolutions alternating wide and narrow outputs: 31 coarse cuts of two byte sizes. */
const longChain = () =>
  analyseChain(
    chainModel(
      'long',
      Array.from({ length: 30 }, (_, i) => ({
        kind: 'conv' as const,
        name: `c${i}`,
        out: i % 2 === 0 ? 64 : 8,
        k: 3,
      })),
      32,
    ),
  );

describe('the grouped programme on long chains', () => {
  it('keeps at most the cuts asked for, the ends, and the inner cuts that move the fewest bytes', () => {
    const chain = longChain();
    const all = coarseCuts(chain);
    expect(all.length).toBeGreaterThan(22);
    const kept = groupedCuts(chain, 22);
    expect(kept).toHaveLength(22);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(chain.model.layers.length);
    expect(kept.every((k) => all.includes(k))).toBe(true);
    const inner = kept.slice(1, -1).map((k) => chain.cutBytes[k]!);
    const dropped = all.filter((k) => !kept.includes(k)).map((k) => chain.cutBytes[k]!);
    expect(Math.min(...dropped)).toBeGreaterThanOrEqual(Math.max(...inner));
  });

  it('keeps every cut of a chain short enough', () => {
    const chain = analyseChain(smallCnn());
    expect(groupedCuts(chain, 22)).toEqual(coarseCuts(chain));
  });
});

describe('a farm its coordinator caps', () => {
  it('is bounded by the coordinator port and reaches it without trying targets above', () => {
    const cost = new CostModel(analyseChain(smallCnn()));
    const devices = Array.from({ length: 20 }, (_, i) => ({ id: `x-${i}`, profile: 'x86-laptop' }));
    const farm = farmFromFile(
      {
        devices,
        media: [{ id: 'slow-port', kind: 'switched', mbps: 2, latencyMs: 1 }],
        coordinator: { medium: 'slow-port' },
      },
      'test',
    );
    const chain = cost.chain;
    const cap =
      bytesPerSecOf(farm.coordinator) /
      Math.max(chain.cutBytes[0]!, chain.cutBytes[cost.layerCount]!);
    expect(upperBoundIps(cost, farm)).toBeCloseTo(cap, 6);
    const steps = searchSteps(cost, farm, { objective: 'ips', heuristicOnly: true });
    let solves = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) solves++;
    const best = r.value.candidates[0]!.evaluation;
    expect(best.bottleneck.kind).toBe('port');
    expect(best.ips).toBeCloseTo(cap, 6);
    // From the compute's bound (twenty laptops, far above the cap) the bisection took 12 solves.
    expect(solves).toBeLessThanOrEqual(3);
  });
});
