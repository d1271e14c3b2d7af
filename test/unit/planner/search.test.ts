// The exact search against brute force: every layout of a small CNN on small farms (pipeline
// cuts between layer blocks, replicas, channel splits with and without replicas, idle devices)
// is evaluated by the cost model, and the search must find the best IPS. Then memory budgets and the grouped
// heuristic against the exact search. The search may then beat brute force only by co-location
// (a device with two roles), which brute force does not enumerate.
import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../../src-main/model/seeded';
import { CostModel, type Layout, type PartLayout } from '../../../src-main/planner/cost';
import {
  farmFromFile,
  farmFromSpec,
  type FarmBoard,
  type Farm,
} from '../../../src-main/planner/farm';
import { analyseChain, canSplit, coarseCuts } from '../../../src-main/planner/layers';
import { builtInProfile } from '../../../src-main/planner/profile';
import { toPlan } from '../../../src-main/planner/plan';
import { loadPlannerModel } from '../../../src-main/planner/source';
import {
  channelBounds,
  search,
  searchAsync,
  SearchStopped,
  type SearchProgress,
} from '../../../src-main/planner/search';
import { exactKinds } from '../../../src-main/planner/search-kinds';
import { Programme } from '../../../src-main/planner/search-programme';
import { miniVgg, smallCnn } from './fixtures';
import { Plan, rolesOf } from '../../../src-main/contract/plan';

/** Every layout the search space holds, each evaluated; the best IPS among those that fit. */
function bruteForce(cost: CostModel, farm: Farm): { ips: number; count: number } {
  const cuts = coarseCuts(cost.chain);
  const n = cost.layerCount;
  let best = 0;
  let count = 0;
  const splits = (from: number, to: number, set: readonly FarmBoard[]): PartLayout[][] => {
    if (!canSplit(cost.chain, from, to)) return [];
    const channels = cost.chain.channels.get(from)!;
    const out: PartLayout[][] = [];
    const sameKind = set.every((d) => d.profile === set[0]!.profile && d.medium === set[0]!.medium);
    const shaped = (shares: number[], groups: FarmBoard[][]) => {
      const b = channelBounds(shares, channels);
      return groups.map((devices, i) => ({
        share: (b[i + 1]! - b[i]!) / channels,
        channels: [b[i]!, b[i + 1]!] as const,
        devices,
      }));
    };
    if (sameKind) {
      for (let p = 2; p <= set.length; p++) {
        if (set.length % p !== 0) continue;
        const r = set.length / p;
        out.push(
          shaped(
            Array(p).fill(1 / p),
            Array.from({ length: p }, (_, i) => set.slice(i * r, (i + 1) * r)),
          ),
        );
      }
    } else {
      const speed = set.map((d) => 1 / cost.partBase(d, from, to, 1).computeSec);
      const total = speed.reduce((a, b) => a + b, 0);
      out.push(
        shaped(
          speed.map((s) => s / total),
          set.map((d) => [d]),
        ),
      );
    }
    return out;
  };
  const walk = (ci: number, left: readonly FarmBoard[], stages: Layout) => {
    if (cuts[ci] === n) {
      count++;
      const ev = cost.evaluate(stages, farm);
      if (ev.fits) best = Math.max(best, ev.ips);
      return;
    }
    for (let cj = ci + 1; cj < cuts.length; cj++) {
      const from = cuts[ci]!;
      const to = cuts[cj]!;
      for (let mask = 1; mask < 1 << left.length; mask++) {
        const set = left.filter((_, i) => mask & (1 << i));
        const rest = left.filter((_, i) => !(mask & (1 << i)));
        walk(cj, rest, [...stages, { from, to, parts: [{ share: 1, devices: set }] }]);
        for (const parts of splits(from, to, set)) walk(cj, rest, [...stages, { from, to, parts }]);
      }
    }
  };
  walk(0, farm.devices, []);
  return { ips: best, count };
}

const cost = new CostModel(analyseChain(smallCnn()));
/** A device whose 22 MB budget cannot load the 96-pixel model's 19 MB fc layer whole. */
const tight = (id: string, profile: string) => ({
  id,
  profile: {
    ...builtInProfile(profile),
    id: `${profile}-tight`,
    memory: { physicalBytes: 4e7, budgetBytes: 2.2e7, runtimeBytes: 1e6, loadPeakFactor: 2 },
  },
});
const wideFc = new CostModel(analyseChain(smallCnn(96)));

describe('exact search', () => {
  const farms: Array<[string, Farm]> = [
    ['3 Pi 3 on Wi-Fi', farmFromSpec('pi3:3')],
    ['4 Pi 3 on Wi-Fi', farmFromSpec('pi3:4')],
    [
      '2 Pi 3 + 1 Pi 4 on one Wi-Fi',
      farmFromFile(
        {
          devices: [
            { id: 'a', profile: 'pi3' },
            { id: 'b', profile: 'pi3' },
            { id: 'c', profile: 'pi4', medium: 'wifi-2.4' },
          ],
        },
        'test',
      ),
    ],
    [
      'Pi 3 + Pi 4 + TX2 on Ethernet',
      farmFromFile(
        {
          devices: [
            { id: 'a', profile: 'pi3', medium: 'ethernet-100' },
            { id: 'b', profile: 'pi4' },
            { id: 'c', profile: 'tx2-cpu' },
          ],
        },
        'test',
      ),
    ],
  ];
  const splitFarms: Array<[string, Farm]> = [
    [
      '4 tight Pi 3',
      farmFromFile({ devices: ['a', 'b', 'c', 'd'].map((id) => tight(id, 'pi3')) }, 'test'),
    ],
    [
      '3 tight Pi 3 + 1 tight Pi 4',
      farmFromFile(
        {
          devices: [tight('a', 'pi3'), tight('b', 'pi3'), tight('c', 'pi3'), tight('d', 'pi4')].map(
            (d) => ({ ...d, medium: 'wifi-2.4' }),
          ),
        },
        'test',
      ),
    ],
  ];
  for (const [name, farm, model] of [
    ...farms.map(([n, f]) => [n, f, cost] as const),
    ...splitFarms.map(([n, f]) => [n, f, wideFc] as const),
  ]) {
    it(`finds the brute-force optimum: ${name}`, () => {
      const brute = bruteForce(model, farm);
      const found = search(model, farm, { objective: 'ips' });
      expect(brute.count).toBeGreaterThan(100);
      expect(found.exact).toBe(true);
      const best = found.candidates[0]!.evaluation;
      expect(best.ips).toBeGreaterThanOrEqual(brute.ips * (1 - 1e-3));
      // Brute force gives each device one role; only co-location may beat it.
      if (best.devices.every((u) => u.loads.length === 1))
        expect(best.ips).toBeLessThanOrEqual(brute.ips * (1 + 1e-9));
    });
  }

  it('beats the one-role optimum by giving a board a second role when that frees one for the bottleneck', () => {
    const model = new CostModel(analyseChain(miniVgg()));
    const farm = farmFromFile(
      { devices: ['a', 'b', 'c', 'd'].map((id) => tight(id, 'pi3')) },
      'test',
    );
    const brute = bruteForce(model, farm);
    const found = search(model, farm, { objective: 'ips' });
    const best = found.candidates[0]!;
    // One role each: a conv board, f1 in halves on two (16.8 MB loads whole on none) and the
    // tail on the fourth. Co-located: the tail beside an f1 half, two conv boards.
    expect(best.evaluation.ips).toBeGreaterThan(brute.ips * 1.3);
    expect(best.evaluation.fits).toBe(true);
    const shared = best.evaluation.devices.filter((u) => u.loads.length > 1);
    expect(shared).toHaveLength(1);
    expect(shared[0]!.utilisation).toBeLessThanOrEqual(1 + 1e-9);
    expect(best.layout[0]!.parts[0]!.devices).toHaveLength(2);
    // The plan document lists both roles of that board and passes the contract.
    const plan = Plan.parse(toPlan(model, best.layout, farm, { origin: 'auto', objective: 'ips' }));
    const doc = plan.devices.find((d) => d.device === shared[0]!.device.id)!;
    expect(rolesOf(doc).map((r) => r.stage)).toEqual(['s1', 's2']);
    expect(doc.memoryBytes).toBe(Math.round(shared[0]!.peakBytes));
  });

  it('refuses a device named twice in one part, in the layout and in the plan document', () => {
    const farm = farmFromSpec('pi3:2');
    const [a, b] = farm.devices;
    const layout = [{ from: 0, to: cost.layerCount, parts: [{ share: 1, devices: [a!, a!] }] }];
    expect(() => toPlan(cost, layout, farm, { origin: 'auto', objective: 'ips' })).toThrow(
      /plan device "pi3-1" is named twice in part s0.p0/,
    );
    const plan = toPlan(
      cost,
      [{ from: 0, to: cost.layerCount, parts: [{ share: 1, devices: [a!, b!] }] }],
      farm,
      { origin: 'auto', objective: 'ips' },
    );
    const twice = {
      ...plan,
      stages: [
        {
          ...plan.stages[0]!,
          parts: [{ ...plan.stages[0]!.parts[0]!, devices: ['pi3-1', 'pi3-1'] }],
        },
      ],
    };
    expect(Plan.safeParse(twice).error?.issues[0]?.message).toBe('names a device twice');
  });

  it('splits a layer that fits no single device and keeps every device within budget', () => {
    const farm = splitFarms[0]![1];
    const found = search(wideFc, farm, { objective: 'ips' });
    const best = found.candidates[0]!;
    expect(best.evaluation.fits).toBe(true);
    expect(best.layout.some((s) => s.parts.length > 1)).toBe(true);
    for (const l of best.evaluation.loads) expect(l.cost.peakBytes).toBeLessThanOrEqual(2.2e7);
  });

  it('leaves a device idle when the shared air, not compute, limits the farm', () => {
    const wide = new CostModel(analyseChain(smallCnn(128)));
    const farm = farmFromSpec('pi3:12');
    const found = search(wide, farm, { objective: 'ips' });
    const ev = found.candidates[0]!.evaluation;
    expect(ev.bottleneck.kind).toBe('medium');
    expect(ev.idle.length).toBeGreaterThan(0);
    const plan = toPlan(wide, found.candidates[0]!.layout, farm, {
      origin: 'auto',
      objective: 'ips',
    });
    expect(plan.prediction.bottleneck.why).toMatch(
      /shared wifi-2\.4 medium \(40 Mbit\/s, built in\)/,
    );
    expect(plan.prediction.suggestions[0]).toMatch(/twice the bandwidth on wifi-2\.4/);
    expect(plan.prediction.suggestions.join(' ')).toMatch(/left idle/);
  });

  it('groups devices beyond the unit limit and stays within 10% of the exact optimum', () => {
    for (const spec of ['pi3:8', 'pi3:5,pi4:3', 'pi3:4,pi4:2,tx2:2']) {
      const farm = farmFromSpec(spec);
      const exact = search(cost, farm, { objective: 'ips' });
      const grouped = search(cost, farm, { objective: 'ips', maxUnits: 4 });
      expect(grouped.exact).toBe(false);
      expect(grouped.candidates[0]!.evaluation.ips).toBeGreaterThanOrEqual(
        0.9 * exact.candidates[0]!.evaluation.ips,
      );
    }
  });

  it('plans boards measured apart (every profile a little different) as one kind, quickly', () => {
    const pi3 = builtInProfile('pi3');
    const measured = (i: number) => ({
      ...pi3,
      id: 'pi3-measured',
      ops: {
        ...pi3.ops,
        conv: { ...pi3.ops.conv, macsPerSec: pi3.ops.conv.macsPerSec * (1 + i / 50) },
      },
    });
    const farm = farmFromFile(
      { devices: Array.from({ length: 12 }, (_, i) => ({ id: `b${i}`, profile: measured(i) })) },
      'test',
    );
    const started = performance.now();
    const found = search(cost, farm, { objective: 'ips' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(found.exact).toBe(false);
    const best = found.candidates[0]!.evaluation;
    expect(best.fits).toBe(true);
    // Every board is at least as fast as the slowest: the plan beats 12 copies of the slowest.
    const slowest = search(
      cost,
      farmFromFile(
        { devices: Array.from({ length: 12 }, (_, i) => ({ id: `b${i}`, profile: measured(0) })) },
        'test',
      ),
      { objective: 'ips' },
    );
    expect(best.ips).toBeGreaterThanOrEqual(slowest.candidates[0]!.evaluation.ips * 0.999);
  });

  it('finds a plan for the energy objective that spends no more per inference than the fastest', () => {
    const farm = farmFromSpec('pi3:3,pi4:2');
    const joules = (c: { evaluation: { staticJ: number; dynamicJ: number } }) =>
      c.evaluation.staticJ + c.evaluation.dynamicJ;
    const lean = search(cost, farm, { objective: 'energy' }).candidates[0]!;
    const fast = search(cost, farm, { objective: 'ips' }).candidates[0]!;
    expect(joules(lean)).toBeLessThanOrEqual(joules(fast) * (1 + 1e-9));
    expect(lean.evaluation.fits).toBe(true);
  });

  it('honours --max-latency and the latency objective', () => {
    const farm = farmFromSpec('pi3:4');
    const fastest = search(cost, farm, { objective: 'latency' }).candidates[0]!.evaluation;
    const busiest = search(cost, farm, { objective: 'ips' }).candidates[0]!.evaluation;
    expect(fastest.latencySec).toBeLessThanOrEqual(busiest.latencySec);
    const capped = search(cost, farm, {
      objective: 'ips',
      maxLatencySec: fastest.latencySec * 1.0001,
    }).candidates[0]!.evaluation;
    expect(capped.latencySec).toBeLessThanOrEqual(fastest.latencySec * 1.0001);
  });

  it('stops at once when even the fastest layout misses the latency cap', async () => {
    const farm = farmFromSpec('pi3:2,pi4:2');
    const fastest = search(cost, farm, { objective: 'latency' }).candidates[0]!.evaluation;
    const steps: SearchProgress[] = [];
    const r = await searchAsync(
      cost,
      farm,
      { objective: 'ips', maxLatencySec: fastest.latencySec * 0.9 },
      (p) => steps.push(p),
    );
    expect(r.candidates.filter((c) => c.evaluation.latencySec <= fastest.latencySec * 0.9)).toEqual(
      [],
    );
    // Each climb's fastest layout and the one offered to judge: bisecting λ from 0 took ~80.
    expect(steps.length).toBeLessThanOrEqual(6);
  });
});

/** Seeded values in [0, 1): the same farms on every run. */
function seeded(seed: number): () => number {
  const values = seededUniform(4096, 0.5, seed, 'farms');
  let i = 0;
  return () => values[i++ % values.length]! + 0.5;
}
const BOARDS = ['pi3', 'pi4', 'pi5', 'tx2-cpu', 'tx2-gpu', 'x86-laptop'];
/** `n` boards of up to `kinds` kinds, all on one Wi-Fi or each on its profile's medium. */
function randomFarm(rnd: () => number, n: number, kinds: number, oneMedium: boolean): Farm {
  const names = [...BOARDS].sort(() => rnd() - 0.5).slice(0, kinds);
  return farmFromFile(
    {
      devices: Array.from({ length: n }, (_, i) => ({
        id: `b${i}`,
        profile: names[Math.floor(rnd() * names.length)]!,
        ...(oneMedium ? { medium: 'wifi-2.4' } : {}),
      })),
      coordinator: { medium: oneMedium ? 'wifi-2.4' : 'ethernet-1000' },
    },
    'random farm',
  );
}

describe('exact search on random farms', () => {
  it('finds the brute-force optimum on seeded farms of 2 to 5 mixed boards', () => {
    const rnd = seeded(19);
    for (let i = 0; i < 12; i++) {
      const n = 2 + (i % 4);
      const farm = randomFarm(rnd, n, 1 + Math.floor(rnd() * 4), i % 3 === 0);
      const model = i % 2 === 0 ? cost : wideFc;
      const brute = bruteForce(model, farm);
      const found = search(model, farm, { objective: 'ips' });
      const what = farm.devices.map((d) => d.profile.id).join(',');
      expect(found.exact, what).toBe(true);
      if (brute.ips === 0) {
        expect(found.candidates, what).toHaveLength(0);
        continue;
      }
      const best = found.candidates[0]!.evaluation;
      expect(best.ips, what).toBeGreaterThanOrEqual(brute.ips * (1 - 1e-3));
      if (best.devices.every((u) => u.loads.length === 1))
        expect(best.ips, what).toBeLessThanOrEqual(brute.ips * (1 + 1e-9));
      // The programme alone (no heuristic beside it): at the optimum's IPS, with all its
      // pruning, it still finds a layout that delivers it.
      const programme = new Programme(
        model,
        farm,
        exactKinds(farm, 12)!,
        coarseCuts(model.chain),
        Infinity,
      );
      const layout = programme.solve('ips', brute.ips * (1 - 1e-6));
      expect(layout, what).not.toBeNull();
      expect(model.evaluate(layout!, farm).ips, what).toBeGreaterThanOrEqual(
        brute.ips * (1 - 1e-6),
      );
    }
  });

  it('plans 12 boards of six kinds exactly, and a wider farm no worse than 5% under its exact optimum', () => {
    const farm = farmFromSpec('pi3:2,pi4:2,pi5:2,tx2-cpu:2,tx2-gpu:2,x86-laptop:2');
    const found = search(cost, farm, { objective: 'ips' });
    expect(found.exact).toBe(true);
    // The heuristic's plan for the same farm (devices grouped) never beats the exact one.
    const grouped = search(cost, farm, { objective: 'ips', maxUnits: 6 });
    expect(grouped.exact).toBe(false);
    const one = (c: { evaluation: { devices: ReadonlyArray<{ loads: readonly unknown[] }> } }) =>
      c.evaluation.devices.every((u) => u.loads.length === 1);
    if (one(grouped.candidates[0]!) && one(found.candidates[0]!))
      expect(grouped.candidates[0]!.evaluation.ips).toBeLessThanOrEqual(
        found.candidates[0]!.evaluation.ips * (1 + 1e-3),
      );
    // The heuristic alone (as on farms too big for the exact programme): grouped, so not exact.
    const alone = search(cost, farm, { objective: 'ips', heuristicOnly: true });
    expect(alone.exact).toBe(false);
    expect(alone.candidates[0]!.evaluation.ips).toBeGreaterThan(0);
    const rnd = seeded(1913);
    for (let i = 0; i < 4; i++) {
      const wide = randomFarm(rnd, 13 + Math.floor(rnd() * 12), 2, false);
      const heuristic = search(cost, wide, { objective: 'ips' });
      const exact = search(cost, wide, { objective: 'ips', maxUnits: 100 });
      expect(heuristic.exact).toBe(false);
      expect(exact.exact).toBe(true);
      expect(heuristic.candidates[0]!.evaluation.ips).toBeGreaterThanOrEqual(
        0.95 * exact.candidates[0]!.evaluation.ips,
      );
    }
  });
});

describe('the heuristic on random farms', () => {
  // The grouped programme with its local search (improve.ts), as a farm too large for the exact
  // programme gets it: within 5% of the optimum wherever the exact search can judge it.
  const models = [cost, wideFc, new CostModel(analyseChain(miniVgg()))];
  const alone = (model: CostModel, farm: Farm, maxUnits?: number) => {
    const r = search(model, farm, { objective: 'ips', heuristicOnly: true, maxUnits });
    expect(r.exact).toBe(false);
    return r.candidates[0]?.evaluation.ips ?? 0;
  };

  it('stays within 5% of brute force on seeded farms of 4 to 5 mixed boards grouped in pairs', () => {
    const rnd = seeded(1931);
    for (let i = 0; i < 9; i++) {
      const farm = randomFarm(rnd, 4 + (i % 2), 1 + Math.floor(rnd() * 3), i % 3 === 0);
      const model = models[i % models.length]!;
      const what = farm.devices.map((d) => d.profile.id).join(',');
      const brute = bruteForce(model, farm);
      // Two units at most: the programme must place boards in groups, the local search apart.
      expect(alone(model, farm, 2), what).toBeGreaterThanOrEqual(0.95 * brute.ips);
    }
  });

  it('stays within 5% of the exact search on VGG16 over seeded farms of 13 to 24 boards of two kinds', () => {
    const vgg = new CostModel(analyseChain(loadPlannerModel('vgg16')));
    // Farms the grouped programme alone left 6.5% to 15.6% under the exact optimum, then random.
    const specs = ['x86-laptop:6,pi3:7', 'pi3:7,pi4:6', 'tx2-gpu:8,pi4:8', 'tx2-gpu:9,tx2-cpu:7'];
    const rnd = seeded(1932);
    for (let i = 0; i < 4; i++) {
      const [a, b] = [...BOARDS].sort(() => rnd() - 0.5);
      const n = 13 + Math.floor(rnd() * 12);
      const m = 1 + Math.floor(rnd() * (n - 1));
      specs.push(`${a}:${m},${b}:${n - m}`);
    }
    for (const spec of specs) {
      // The laptop on Ethernet, as in the bench: the Pis' Wi-Fi would cap most farms alike.
      const farm = farmFromSpec(spec, 'ethernet-1000');
      const exact = search(vgg, farm, { objective: 'ips', maxUnits: 100 });
      expect(exact.exact, spec).toBe(true);
      expect(alone(vgg, farm), spec).toBeGreaterThanOrEqual(
        0.95 * exact.candidates[0]!.evaluation.ips,
      );
    }
  });
});

describe('search progress and cancel', () => {
  it('tells each step, its best IPS rising to the result, and stops once cancelled', async () => {
    const farm = farmFromSpec('pi3:3,pi4:2,tx2:2');
    const seen: SearchProgress[] = [];
    const done = await searchAsync(cost, farm, { objective: 'ips' }, (p) => seen.push(p));
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.map((p) => p.step)).toEqual([...seen.map((p) => p.step)].sort((a, b) => a - b));
    expect(seen.some((p) => p.method === 'exact')).toBe(true);
    const best = done.candidates[0]!.evaluation.ips;
    for (const p of seen) {
      expect(p.bestIps).toBeLessThanOrEqual(best * (1 + 1e-9));
      expect(p.boundIps).toBeGreaterThanOrEqual(best * (1 - 1e-9));
    }
    expect(seen[seen.length - 1]!.bestIps).toBeGreaterThanOrEqual(best * (1 - 2e-3));
    // Cancelled at the first step: no result, SearchStopped.
    const ac = new AbortController();
    let steps = 0;
    await expect(
      searchAsync(
        cost,
        farm,
        { objective: 'ips' },
        () => {
          steps++;
          ac.abort();
        },
        ac.signal,
      ),
    ).rejects.toBeInstanceOf(SearchStopped);
    expect(steps).toBe(1);
  });
});
