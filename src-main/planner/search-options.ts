// The ways to run one stage of a chain on a set of units, for the search's programme: the whole
// stage replicated over them, or split along output channels into parts (each with replicas),
// each costed once per (kinds, cuts, share) and kept for every λ the search tries.
import { canSplit } from './layers';
import { withLinks, type CostModel, type PartBase, type PartCost } from './cost';
import type { Kind } from './search-kinds';

/** Units of one kind doing the same work in a stage option. */
export interface Group {
  readonly ki: number;
  readonly replicas: number;
  readonly share: number;
  readonly base: PartBase;
  /** Costs with messages, by producers * 4096 + consumers. */
  readonly linked: Map<number, PartCost>;
}

/**
 * One way to run a stage on a set of units: replicated (every group runs the whole stage), or
 * split into `parts` parts; a split of one kind has one group standing for each of its equal
 * parts, a mixed split one group per part with channels in proportion to speed.
 */
export interface StageOption {
  readonly parts: number;
  readonly replicated: boolean;
  readonly groups: readonly Group[];
  /** The most it can deliver: with one producer and one consumer (fewest messages). */
  readonly maxIps: number;
  /**
   * Its units' rates with the most messages out, by producers (3 numbers each, see tally), NaN
   * until asked: every solve asks it of every option it meets (spareAtMost).
   */
  readonly atMost: Float64Array;
}

export class StageOptions {
  private readonly bases = new Map<number, PartBase | null>();
  /**
   * Options by stage (a * cuts + b), then by take index. Arrays, not maps keyed by number: a
   * solve looks options up tens of thousands of times (12 boards of six kinds), and the maps'
   * lookups were a good part of its time.
   */
  private readonly cache: Array<Array<readonly StageOption[]> | undefined> = [];
  /** slowestUnitIps by (kind, a, b), NaN until asked. */
  private readonly slowest: Float64Array;
  /** tally's results, read right after it (no array per call in the solves' hot loop). */
  private sum = 0;
  private min = 0;
  private minUnit = 0;

  constructor(
    private readonly model: CostModel,
    private readonly kinds: readonly Kind[],
    private readonly cuts: readonly number[],
    /** Unit combinations (the programme's state count): a take's index is below it. */
    private readonly states: number,
    /** The most parts a stage may have (the programme's units and one). */
    private readonly mostParts: number,
  ) {
    this.slowest = new Float64Array(kinds.length * cuts.length * cuts.length).fill(NaN);
  }

  /**
   * A unit's cost for one of `parts` equal parts of stage [a, b) before messages, or null when it
   * does not fit the unit's memory; kept (by number: a string key spelled the share's digits out
   * on every lookup).
   */
  base(ki: number, a: number, b: number, parts: number): PartBase | null {
    const C = this.cuts.length;
    const key = ((ki * C + a) * C + b) * (this.mostParts + 1) + parts;
    let c = this.bases.get(key);
    if (c === undefined) {
      c = this.fit(ki, a, b, 1 / parts);
      this.bases.set(key, c);
    }
    return c;
  }

  /** A unit's cost for a share of stage [a, b) before messages, or null when it does not fit. */
  private fit(ki: number, a: number, b: number, share: number): PartBase | null {
    const d = this.kinds[ki]!.rep;
    const pb = this.model.partBase(d, this.cuts[a]!, this.cuts[b]!, share);
    return pb.peakBytes <= d.profile.memory.budgetBytes ? pb : null;
  }

  period(g: Group, producers: number, consumers: number): PartCost {
    const key = producers * 4096 + consumers;
    let c = g.linked.get(key);
    if (!c) {
      c = withLinks(this.kinds[g.ki]!.rep, g.base, producers, consumers);
      g.linked.set(key, c);
    }
    return c;
  }

  /**
   * Frames per second a unit of kind `ki` gives running the whole stage [a, b) with the most
   * messages (`parts` producers and consumers), 0 when it does not fit; kept per stage.
   */
  slowestUnitIps(ki: number, a: number, b: number, parts: number): number {
    const C = this.cuts.length;
    const key = (ki * C + a) * C + b;
    let ips = this.slowest[key]!;
    if (Number.isNaN(ips)) {
      const base = this.base(ki, a, b, 1);
      const k = this.kinds[ki]!;
      ips = base ? k.size / withLinks(k.rep, base, parts, parts).periodSec : 0;
      this.slowest[key] = ips;
    }
    return ips;
  }

  /** Frames per second the option delivers; 0 when a replica could be dropped and still give λ. */
  ips(
    o: StageOption,
    lambda: number,
    producers: number,
    consumers: number,
    periods: PartCost[],
  ): number {
    periods.length = 0;
    this.tally(o, producers, consumers, periods);
    return this.verdict(o, lambda, this.sum, this.min, this.minUnit);
  }

  /**
   * ips(o, λ, producers, the most parts) is 0: the option has a replica to spare even when it
   * sends to the most consumers (its slowest), so it is never minimal. Kept per producer count.
   */
  spareAtMost(o: StageOption, lambda: number, producers: number): boolean {
    const t = o.atMost;
    const i = 3 * producers;
    if (Number.isNaN(t[i]!)) {
      this.tally(o, producers, this.mostParts, null);
      t[i] = this.sum;
      t[i + 1] = this.min;
      t[i + 2] = this.minUnit;
    }
    return this.verdict(o, lambda, t[i]!, t[i + 1]!, t[i + 2]!) === 0;
  }

  /** The groups' rates with these messages into sum, min (a group's) and minUnit (a unit's). */
  private tally(
    o: StageOption,
    producers: number,
    consumers: number,
    periods: PartCost[] | null,
  ): void {
    let sum = 0;
    let min = Infinity;
    let minUnit = Infinity;
    for (const g of o.groups) {
      const c = this.period(g, producers, consumers);
      periods?.push(c);
      const unit = this.kinds[g.ki]!.size / c.periodSec;
      sum += g.replicas * unit;
      min = Math.min(min, g.replicas * unit);
      minUnit = Math.min(minUnit, unit);
    }
    this.sum = sum;
    this.min = min;
    this.minUnit = minUnit;
  }

  private verdict(
    o: StageOption,
    lambda: number,
    sum: number,
    min: number,
    minUnit: number,
  ): number {
    if (!o.replicated) return min;
    if (lambda <= 0) return sum;
    // A replica to spare is never better than leaving it idle: keep minimal sets only.
    return sum - minUnit >= lambda ? 0 : sum;
  }

  private option(
    parts: number,
    replicated: boolean,
    groups: ReadonlyArray<Omit<Group, 'linked'>>,
  ): StageOption {
    // One object shape for every group (a spread copies the source's shape: the solves' hot
    // loops then met several and were recompiled).
    const gs = groups.map((g) => ({
      ki: g.ki,
      replicas: g.replicas,
      share: g.share,
      base: g.base,
      linked: new Map<number, PartCost>(),
    }));
    const o = {
      parts,
      replicated,
      groups: gs,
      // NaN until just below: a 0 here, then a fraction, changed the field's kind under V8.
      maxIps: NaN,
      atMost: new Float64Array(3 * (this.mostParts + 1)).fill(NaN),
    };
    o.maxIps = this.ips(o, 0, 1, 1, []);
    return o;
  }

  /** Every way to run stage [a, b) on exactly the units `take` (`takeIndex` is their state index). */
  of(a: number, b: number, take: Int32Array, takeIndex: number): readonly StageOption[] {
    const stage = a * this.cuts.length + b;
    const byTake = (this.cache[stage] ??= new Array<readonly StageOption[]>(this.states));
    return (byTake[takeIndex] ??= this.make(a, b, take));
  }

  /** of()'s options for a take, made once (of() itself is the solves' hot lookup). */
  private make(a: number, b: number, take: Int32Array): readonly StageOption[] {
    const out: StageOption[] = [];
    const used: number[] = [];
    for (let ki = 0; ki < take.length; ki++) if (take[ki]! > 0) used.push(ki);
    const whole = used.map((ki) => this.base(ki, a, b, 1));
    if (whole.every((x) => x !== null)) {
      out.push(
        this.option(
          1,
          true,
          used.map((ki, i) => ({ ki, replicas: take[ki]!, share: 1, base: whole[i]! })),
        ),
      );
    }
    const from = this.cuts[a]!;
    if (canSplit(this.model.chain, from, this.cuts[b]!)) {
      const channels = this.model.chain.channels.get(from)!;
      const units = take.reduce((x, y) => x + y, 0);
      if (used.length === 1) {
        const ki = used[0]!;
        for (let p = 2; p <= Math.min(units, channels); p++) {
          if (units % p !== 0) continue;
          const base = this.base(ki, a, b, p);
          if (base)
            out.push(this.option(p, false, [{ ki, replicas: units / p, share: 1 / p, base }]));
        }
      } else if (units <= channels && whole.every((x) => x !== null)) {
        // Channels in proportion to each unit's speed on the whole stage.
        const speeds = used.flatMap((ki, i) =>
          Array.from({ length: take[ki]! }, () => ({
            ki,
            speed: this.kinds[ki]!.size / whole[i]!.computeSec,
          })),
        );
        const total = speeds.reduce((x, u) => x + u.speed, 0);
        const groups = speeds.map((u) => ({
          ki: u.ki,
          replicas: 1,
          share: u.speed / total,
          base: this.fit(u.ki, a, b, u.speed / total),
        }));
        // Every base is non-null here (checked just above), hence the cast.
        if (groups.every((g) => g.base !== null))
          out.push(this.option(units, false, groups as Array<Omit<Group, 'linked'>>));
      }
    }
    return out;
  }
}
