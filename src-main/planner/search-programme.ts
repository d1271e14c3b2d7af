// The search's dynamic programme: for a target IPS λ, the cheapest layout whose every stage
// delivers λ. States are (cut, units left of each kind, parts of the stage before); a stage is a
// contiguous layer run at valid cuts, run by a multiset of units (search-options.ts says how).
// Three things keep it small enough for 12 boards of six kinds in well under a second:
// - symmetry: units of a kind are counted, never named (search-kinds.ts);
// - an admissible bound: the units left cannot deliver more than their count over the least
//   work a frame needs on the layers left (each layer on the kind fastest at it, no spill), so a
//   state under λ is dropped before its stages are tried;
// - dominance: a replicated stage with a replica to spare is never better than the same stage
//   without it (the spare stays idle), so the takes are built kind by kind and a branch stops as
//   soon as it has a replica to spare even at its slowest (most messages), or cannot reach λ
//   even with every unit left.
import type { PlanObjective } from '../contract/plan';
import {
  bytesPerSecOf,
  type CostModel,
  type Layout,
  type PartCost,
  type PartLayout,
  type StageLayout,
} from './cost';
import type { FarmBoard, Farm } from './farm';
import type { Medium } from './profile';
import type { Kind } from './search-kinds';
import { StageOptions, type StageOption } from './search-options';

type Cost = readonly [number, number];
const less = (a: Cost, b: Cost): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

interface Choice {
  readonly next: number;
  readonly take: readonly number[];
  readonly option: StageOption;
  /** Parts of the stage after (1 for the coordinator). */
  readonly consumers: number;
}

interface Best {
  readonly parts: number;
  readonly cost: Cost;
  readonly choice: Choice | null;
}

/** Thrown out of a solve when the caller's `stop` says so (a cancelled plan). */
export class SearchStopped extends Error {
  constructor() {
    super('the search was stopped');
  }
}

const NONE: readonly Best[] = [];
/** Past the last cut: nothing left to cover, for one consumer (the coordinator). */
const TERMINAL: readonly Best[] = [{ parts: 1, cost: [0, 0], choice: null }];
/** States visited between two looks at `stop` (a few ms on a long chain such as mobilenetv2). */
const STOP_EVERY = 256;

/** The solve under way: its target, objective and the states it has answered. */
interface Solving {
  readonly objective: PlanObjective;
  readonly lambda: number;
  readonly stop: (() => boolean) | undefined;
  readonly memo: Map<number, readonly Best[]>;
}

/**
 * One best() call's working space, by its cut: a solve's recursion only goes on to later cuts, so
 * each cut has at most one call under way. Typed arrays and methods, not arrays and closures made
 * per call: a cold plan's solves met them millions of times, and their changing element kinds
 * sent V8 back to recompile the walk dozens of times (about a third of a fresh plan's CPU).
 */
class Frame {
  /** Units of each kind left. */
  readonly avail: Int32Array;
  /** The units of each kind the stage under consideration takes. */
  readonly take: Int32Array;
  /** avail less take. */
  readonly rest: Int32Array;
  /** Each kind's slowest unit rate on the stage (minimalTakes). */
  readonly slow: Float64Array;
  /** What the kinds from k on could add at most (minimalTakes), or each kind's most (everyTake). */
  readonly most: Float64Array;
  /** The cheapest cover found so far, by the first stage's part count. */
  readonly found: Array<Best | null>;
  /** The state's units left (index), the stage before's parts, and the stage's end cut. */
  left = 0;
  producers = 0;
  cb = 0;
  last = false;
  /** Each kind's unit rate on the stage whole. */
  rate: Float64Array;

  constructor(
    readonly ci: number,
    kinds: number,
    maxParts: number,
  ) {
    this.avail = new Int32Array(kinds);
    this.take = new Int32Array(kinds);
    this.rest = new Int32Array(kinds);
    this.slow = new Float64Array(kinds);
    this.most = new Float64Array(kinds + 1);
    this.found = new Array<Best | null>(maxParts + 1).fill(null);
    this.rate = new Float64Array(kinds);
  }
}

export class Programme {
  private readonly strides: number[];
  private readonly states: number;
  private readonly maxParts: number;
  private readonly options: StageOptions;
  /** Per kind, each layer's seconds without spill (the bound's per-layer floor). */
  private readonly floor: Float64Array[];
  /** By stage [a, b) (index a * cuts + b), each kind's unit rate on it whole (compute only). */
  private readonly rates: readonly Float64Array[];
  /** Per kind, its seconds for the layers from each index to the end. */
  private readonly tail: Float64Array[];
  private readonly work = new Map<number, readonly [number, number]>();
  /**
   * boundIps by state (cut * states + units left), NaN until asked: it does not depend on λ, and
   * the solves ask it again and again for the same units left (most of a cold plan's time was
   * spent there). Made at the first solve (upperBoundIps's programme on a wide farm never solves,
   * and its states may be millions).
   */
  private bounds: Float64Array | null = null;
  /**
   * For each state found to have no layout at some λ, the least such λ: none has at any higher
   * λ either (a layout for the higher λ, its spare replicas dropped, would serve the lower).
   */
  private readonly infeasibleFrom = new Map<number, number>();
  /** States the solves visited so far (progress reads it). */
  visited = 0;
  private at: Solving | null = null;
  private readonly frames: Frame[];
  /** The periods options.ips found for the option at hand (stageCost reads them). */
  private readonly periods: PartCost[] = [];
  private readonly maxKindsPerStage: number;

  constructor(
    private readonly model: CostModel,
    private readonly farm: Farm,
    readonly kinds: readonly Kind[],
    private readonly cuts: readonly number[],
    /** The grouped search mixes few kinds in one stage; refine() adds others device by device. */
    kindsPerStage: number,
  ) {
    // A small integer either way (Infinity made the exact programme's field a double where the
    // grouped one's is not, and V8 recompiled the walks for each).
    this.maxKindsPerStage = Math.min(kindsPerStage, kinds.length) | 0;
    this.strides = [];
    let s = 1;
    for (const k of kinds) {
      this.strides.push(s);
      s *= k.count + 1;
    }
    this.states = s;
    this.maxParts = kinds.reduce((a, k) => a + k.count, 0) + 1;
    this.options = new StageOptions(model, kinds, cuts, s, this.maxParts);
    this.floor = kinds.map((k) => {
      const p = model.unspilled(k.profile);
      return Float64Array.from({ length: model.layerCount }, (_, i) =>
        model.computeSeconds(p, i, i + 1),
      );
    });
    const C = cuts.length;
    this.rates = Array.from({ length: C * C }, (_, i) =>
      Float64Array.from(
        kinds,
        (k) =>
          k.size /
          model.computeSeconds(
            k.profile,
            cuts[Math.floor(i / C)]!,
            cuts[Math.max(i % C, Math.floor(i / C))]!,
          ),
      ),
    );
    this.frames = cuts.map((_, ci) => new Frame(ci, kinds.length, this.maxParts));
    this.tail = this.floor.map((f) => {
      const t = new Float64Array(f.length + 1);
      for (let i = f.length - 1; i >= 0; i--) t[i] = t[i + 1]! + f[i]!;
      return t;
    });
  }

  get allUnits(): number {
    return this.kinds.reduce((a, k, i) => a + k.count * this.strides[i]!, 0);
  }

  /**
   * The most IPS any layout of the layers from cut `ci` on gives with the units `avail`. A frame
   * needs each layer once, on some unit, and a unit computes at most one second a second; split
   * parts and replicas never need less work than the whole layer (without spill, a layer's time
   * only grows when cut up). So for any weights y (one per kind, Σ n_k·y_k = 1) the IPS is at
   * most 1 / Σ_layers min_k y_k·t_k (the linear programme's dual). Two weightings are tried:
   * equal (every unit as fast as the fastest kind on each layer) and inverse to each kind's time
   * for the layers left (a kind counts by its speed; only specialising beats it).
   */
  boundIps(ci: number, avail: ArrayLike<number>): number {
    let units = 0;
    let rate = 0;
    const from = this.cuts[ci]!;
    for (let k = 0; k < avail.length; k++) {
      const n = avail[k]! * this.kinds[k]!.size;
      if (n === 0) continue;
      units += n;
      rate += n / this.tail[k]![from]!;
    }
    if (units === 0) return 0;
    const [equal, bySpeed] = this.minWork(avail, ci);
    // A little above the bound: rounding must never drop the optimum.
    return Math.min(units / equal, rate / bySpeed) * (1 + 1e-9);
  }

  /** Σ over the layers left of min_k t_k, and of min_k t_k / (kind k's time for them all). */
  private minWork(avail: ArrayLike<number>, ci: number): readonly [number, number] {
    // Kept by the kinds present (a bit mask; the programme has at most a few kinds).
    let mask = avail.length <= 30 ? 0 : -1;
    for (let k = 0; k < avail.length && mask >= 0; k++) if (avail[k]! > 0) mask |= 1 << k;
    const key = mask * this.cuts.length + ci;
    let w = mask >= 0 ? this.work.get(key) : undefined;
    if (!w) {
      const from = this.cuts[ci]!;
      let equal = 0;
      let bySpeed = 0;
      for (let i = from; i < this.model.layerCount; i++) {
        let e = Infinity;
        let s = Infinity;
        for (let k = 0; k < avail.length; k++) {
          if (avail[k] === 0) continue;
          e = Math.min(e, this.floor[k]![i]!);
          s = Math.min(s, this.floor[k]![i]! / this.tail[k]![from]!);
        }
        equal += e;
        bySpeed += s;
      }
      w = [equal, bySpeed];
      if (mask >= 0) this.work.set(key, w);
    }
    return w;
  }

  /** boundIps for the units of state index `left` (as the solve numbers them), kept. */
  private boundAt(ci: number, left: number, avail: Int32Array): number {
    const bounds = (this.bounds ??= new Float64Array(this.cuts.length * this.states).fill(NaN));
    const key = ci * this.states + left;
    let b = bounds[key]!;
    if (Number.isNaN(b)) {
      b = this.boundIps(ci, avail);
      bounds[key] = b;
    }
    return b;
  }

  /** Air time per byte for a hop received by these units (weights: their share of frames). */
  private airPerByte(weights: ReadonlyArray<{ medium: Medium; w: number }>): number {
    let t = 0;
    for (const { medium, w } of weights)
      if (medium.kind === 'shared') t += w / bytesPerSecOf(medium);
    return t;
  }

  /** The slowest of the media's hops for these bytes, the coordinator's too when it is given. */
  private hopSec(bytes: number, media: ReadonlySet<Medium>, coordinator?: Medium): number {
    let t = 0;
    for (const m of media) t = Math.max(t, bytes / bytesPerSecOf(m) + m.latencyMs / 1000);
    if (coordinator)
      t = Math.max(t, bytes / bytesPerSecOf(coordinator) + coordinator.latencyMs / 1000);
    return t;
  }

  /** What the stage costs by the objective: (primary, secondary). */
  private stageCost(
    objective: PlanObjective,
    lambda: number,
    a: number,
    b: number,
    o: StageOption,
    periods: readonly PartCost[],
    ips: number,
  ): Cost {
    const chain = this.model.chain;
    const from = this.cuts[a]!;
    const to = this.cuts[b]!;
    const last = b === this.cuts.length - 1;
    // A replicated stage receives each frame once, on the replica it goes to; every part of a
    // split stage receives the whole input.
    const weight = (i: number) => {
      const g = o.groups[i]!;
      const perPart = o.replicated ? 1 : o.parts / o.groups.length;
      return o.replicated
        ? (g.replicas * this.kinds[g.ki]!.size) / periods[i]!.periodSec / ips
        : perPart;
    };
    const kinds = o.groups.map((g) => this.kinds[g.ki]!);
    let air =
      chain.cutBytes[from]! *
      this.airPerByte(kinds.map((k, i) => ({ medium: k.medium, w: weight(i) })));
    if (last)
      air += chain.cutBytes[to]! * this.airPerByte([{ medium: this.farm.coordinator, w: 1 }]);
    const media = new Set(kinds.map((k) => k.medium));
    let latency = this.hopSec(
      chain.cutBytes[from]!,
      media,
      a === 0 ? this.farm.coordinator : undefined,
    );
    let slowest = -Infinity;
    for (const c of periods) slowest = Math.max(slowest, c.computeSec + c.ioSec);
    latency += slowest;
    if (last) latency += this.hopSec(chain.cutBytes[to]!, media, this.farm.coordinator);
    if (objective === 'ips') return [air, latency];
    if (objective === 'latency') return [latency, air];
    let energy = 0;
    o.groups.forEach((g, i) => {
      const k = this.kinds[g.ki]!;
      const pw = k.profile.power;
      const units = g.replicas * (o.replicated ? 1 : o.parts / o.groups.length);
      const c = periods[i]!;
      energy +=
        (units * k.size * pw.idleWatts) / lambda +
        weight(i) * (c.computeSec + c.ioSec) * (pw.fullWatts - pw.idleWatts);
    });
    return [energy, latency];
  }

  /**
   * The cheapest layout where every stage delivers at least λ, or null. `stop` is asked now and
   * then; when it says so the solve throws SearchStopped.
   */
  solve(objective: PlanObjective, lambda: number, stop?: () => boolean): Layout | null {
    this.at = { objective, lambda, stop, memo: new Map() };
    try {
      const roots = this.best(0, this.allUnits, 1);
      if (roots.length === 0) return null;
      return this.layoutOf(roots.reduce((x, y) => (less(y.cost, x.cost) ? y : x)));
    } finally {
      this.at = null;
    }
  }

  /**
   * For each part count of the first stage, the cheapest cover of the layers from cut `ci` on with
   * the units `left` (a state index), after a stage of `producers` parts, at the solve's λ.
   */
  private best(ci: number, left: number, producers: number): readonly Best[] {
    if (ci === this.cuts.length - 1) return TERMINAL;
    const at = this.at!;
    const lambda = at.lambda;
    const key = (ci * this.states + left) * this.maxParts + producers;
    const hit = at.memo.get(key);
    if (hit) return hit;
    if (lambda >= (this.infeasibleFrom.get(key) ?? Infinity)) return NONE;
    if (++this.visited % STOP_EVERY === 0 && at.stop?.()) throw new SearchStopped();
    const f = this.frames[ci]!;
    for (let k = 0; k < f.avail.length; k++)
      f.avail[k] = Math.floor(left / this.strides[k]!) % (this.kinds[k]!.count + 1);
    if (this.boundAt(ci, left, f.avail) < lambda) return NONE;
    f.left = left;
    f.producers = producers;
    f.found.fill(null);
    const C = this.cuts.length;
    const splitEnd = this.model.chain.splitEnd.get(this.cuts[ci]!) ?? this.cuts[ci]!;
    for (let cb = ci + 1; cb < C; cb++) {
      const splittable = this.cuts[cb]! <= splitEnd;
      const rate = this.rates[ci * C + cb]!;
      // Longer stages only get slower: once every unit left together cannot deliver λ, no
      // longer stage can either (a split, which can beat that, ends at splitEnd at the latest).
      let bound = 0;
      for (let k = 0; k < f.avail.length; k++) bound += f.avail[k]! * rate[k]!;
      if (!splittable && bound < lambda) break;
      f.cb = cb;
      f.last = cb === C - 1;
      if (splittable) this.everyTake(f);
      else this.minimalTakes(f, rate);
    }
    const result = f.found.filter((b): b is Best => b !== null);
    if (result.length === 0) {
      this.infeasibleFrom.set(key, Math.min(lambda, this.infeasibleFrom.get(key) ?? Infinity));
      return NONE;
    }
    at.memo.set(key, result);
    return result;
  }

  /** The stage [ci, cb) of frame `f` on its units `take` (state index `used`): its options. */
  private consider(f: Frame, used: number): void {
    const { objective, lambda } = this.at!;
    const periods = this.periods;
    for (const o of this.options.of(f.ci, f.cb, f.take, used)) {
      // Too slow even with the fewest messages, or a replica to spare even with the most.
      if (o.maxIps < lambda || this.options.spareAtMost(o, lambda, f.producers)) continue;
      for (const r of this.best(f.cb, f.left - used, o.parts)) {
        const ips = this.options.ips(o, lambda, f.producers, r.parts, periods);
        if (ips < lambda) continue;
        const sc = this.stageCost(objective, lambda, f.ci, f.cb, o, periods, ips);
        const total: Cost = [sc[0] + r.cost[0], sc[1] + r.cost[1]];
        const cur = f.found[o.parts];
        if (!cur || less(total, cur.cost)) {
          f.found[o.parts] = {
            parts: o.parts,
            cost: total,
            choice: { next: f.cb, take: Array.from(f.take), option: o, consumers: r.parts },
          };
        }
      }
    }
  }

  /**
   * Every non-empty sub-multiset of the units left mixing few enough kinds, into `f.take`, whose
   * rest can still cover the layers from cut `f.cb` at λ: each considered.
   */
  private everyTake(f: Frame): void {
    const lambda = this.at!.lambda;
    const { avail, take, rest, most } = f;
    const K = avail.length;
    // No option beats its units' rates without spill: a part of share s takes at least s of the
    // whole stage's time, so the parts together deliver at most what the units do whole.
    const from = this.cuts[f.ci]!;
    const to = this.cuts[f.cb]!;
    for (let k = 0; k < K; k++)
      most[k] = this.kinds[k]!.size / (this.tail[k]![from]! - this.tail[k]![to]!);
    take.fill(0);
    for (;;) {
      let ki = 0;
      while (ki < K && take[ki] === avail[ki]) take[ki++] = 0;
      if (ki === K) break;
      take[ki]!++;
      let used = 0;
      let mixed = 0;
      let upper = 0;
      for (let k = 0; k < K; k++) {
        used += take[k]! * this.strides[k]!;
        rest[k] = avail[k]! - take[k]!;
        upper += take[k]! * most[k]!;
        if (take[k]! > 0) mixed++;
      }
      if (
        mixed <= this.maxKindsPerStage &&
        upper * (1 + 1e-9) >= lambda &&
        (f.last || this.boundAt(f.cb, f.left - used, rest) >= lambda)
      )
        this.consider(f, used);
    }
    take.fill(0);
  }

  /**
   * The takes a whole (replicated, unsplittable) stage [ci, cb) may use at λ: enough compute for
   * λ, no replica to spare at the slowest, every unit able to hold the stage, and enough units
   * left for the layers after it. Built kind by kind; a branch stops where no extension can
   * qualify (a bigger take only lowers what is left, and the bound with it).
   */
  private minimalTakes(f: Frame, rate: Float64Array): void {
    const { avail, slow, most, rest } = f;
    const K = avail.length;
    for (let k = 0; k < K; k++) {
      slow[k] = avail[k]! > 0 ? this.options.slowestUnitIps(k, f.ci, f.cb, this.maxParts) : 0;
      rest[k] = avail[k]!;
    }
    // What the kinds from k on could add at most.
    most[K] = 0;
    for (let k = K - 1; k >= 0; k--)
      most[k] = most[k + 1]! + (slow[k]! > 0 ? avail[k]! * rate[k]! : 0);
    f.rate = rate;
    this.walk(f, 0, 0, 0, Infinity, 0, 0);
  }

  /** minimalTakes from kind `k` on, with what the kinds before it give (see there). */
  private walk(
    f: Frame,
    k: number,
    upper: number,
    sum: number,
    min: number,
    mixed: number,
    used: number,
  ): void {
    const lambda = this.at!.lambda;
    const { avail, slow, most, rest, take, rate } = f;
    if (k === avail.length) {
      if (mixed > 0 && upper >= lambda) this.consider(f, used);
      return;
    }
    const top = slow[k]! > 0 ? avail[k]! : 0;
    for (let n = 0; n <= top; n++) {
      const up = upper + n * rate[k]!;
      take[k] = n;
      rest[k] = avail[k]! - n;
      if (up + most[k + 1]! < lambda) continue;
      if (n === 0) {
        this.walk(f, k + 1, up, sum, min, mixed, used);
        continue;
      }
      const s = sum + n * slow[k]!;
      const m = Math.min(min, slow[k]!);
      // A replica to spare, too many kinds, or too little left: so with any more units.
      if (s - m >= lambda || mixed + 1 > this.maxKindsPerStage) break;
      const u = used + n * this.strides[k]!;
      if (!f.last && this.boundAt(f.cb, f.left - u, rest) < lambda) break;
      this.walk(f, k + 1, up, s, m, mixed + 1, u);
    }
    take[k] = 0;
    rest[k] = avail[k]!;
  }

  /** The devices behind the programme's choices, from the root down. */
  private layoutOf(root: Best): Layout {
    const C = this.cuts.length;
    const pools = this.kinds.map((k) => [...k.devices]);
    const takeUnit = (ki: number): FarmBoard[] => pools[ki]!.splice(0, this.kinds[ki]!.size);
    const stages: StageLayout[] = [];
    let node = root;
    let ci = 0;
    let left = this.allUnits;
    for (;;) {
      const ch = node.choice!;
      const o = ch.option;
      const from = this.cuts[ci]!;
      let parts: PartLayout[];
      if (o.replicated) {
        parts = [
          {
            share: 1,
            devices: o.groups.flatMap((g) =>
              Array.from({ length: g.replicas }, () => takeUnit(g.ki)).flat(),
            ),
          },
        ];
      } else {
        const each =
          o.groups.length === 1 ? Array.from({ length: o.parts }, () => o.groups[0]!) : o.groups;
        const channels = this.model.chain.channels.get(from)!;
        const bounds = channelBounds(
          each.map((g) => g.share),
          channels,
        );
        parts = each.map((g, i) => ({
          share: (bounds[i + 1]! - bounds[i]!) / channels,
          channels: [bounds[i]!, bounds[i + 1]!] as const,
          devices: Array.from({ length: g.replicas }, () => takeUnit(g.ki)).flat(),
        }));
      }
      stages.push({ from, to: this.cuts[ch.next]!, parts });
      ch.take.forEach((n, k) => (left -= n * this.strides[k]!));
      if (ch.next === C - 1) break;
      node = this.best(ch.next, left, o.parts).find((x) => x.parts === ch.consumers)!;
      ci = ch.next;
    }
    return stages;
  }
}

/** Integer channel boundaries for the shares (largest remainder; every part gets one at least). */
export function channelBounds(shares: readonly number[], channels: number): number[] {
  const raw = shares.map((s) => s * channels);
  const counts = raw.map((r) => Math.max(1, Math.floor(r)));
  let spare = channels - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, rem: r - Math.floor(r) })).sort((a, b) => b.rem - a.rem);
  for (let j = 0; spare > 0; j = (j + 1) % order.length, spare--) counts[order[j]!.i]!++;
  for (let j = counts.length - 1; spare < 0; j = (j - 1 + counts.length) % counts.length) {
    if (counts[j]! > 1) {
      counts[j]!--;
      spare++;
    }
  }
  const bounds = [0];
  for (const c of counts) bounds.push(bounds[bounds.length - 1]! + c);
  return bounds;
}
