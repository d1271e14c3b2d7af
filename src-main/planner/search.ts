// The search: the best layout of a chain CNN over a farm. Devices are grouped into units (one
// device each for farms up to 12 devices, where the result is exact; groups of identical devices
// beyond, refined device by device afterwards). A dynamic programme over (cut, units left) finds,
// for a target IPS λ, the cheapest layout whose every stage delivers λ: stages are contiguous
// layer runs at valid cuts, each replicated over units or split along output channels into
// parts (each part with replicas), units may stay idle. Bisection on λ then gives the highest
// IPS the compute allows, capped where the shared medium's air time per frame runs out. The
// programme gives each device one role; colocate.ts then lets a device take a second role where
// that frees a board for the bottleneck (a local search, outside the exactness claim).
import type { PlanObjective } from '../contract/plan';
import {
  bytesPerSecOf,
  withLinks,
  type CostModel,
  type Evaluation,
  type Layout,
  type PartBase,
  type PartCost,
  type PartLayout,
  type StageLayout,
} from './cost';
import type { Device, Farm } from './farm';
import { canSplit, coarseCuts } from './layers';
import { colocate } from './colocate';
import { refine } from './refine';
import type { DeviceProfile, Medium } from './profile';

export interface SearchOptions {
  readonly objective: PlanObjective;
  /** Plans slower than this from frame in to result out are refused. */
  readonly maxLatencySec?: number;
  /** How many distinct layouts to return, best first. */
  readonly top?: number;
  /** Most units the programme works on; more devices than this are grouped (the heuristic). */
  readonly maxUnits?: number;
}

export interface Candidate {
  readonly layout: Layout;
  readonly evaluation: Evaluation;
}

export interface SearchResult {
  readonly candidates: readonly Candidate[];
  /**
   * True when every device was its own unit: the programme found the optimum of the cost model
   * over chain cuts with one role per device. Co-location (colocate.ts) may then beat it by
   * giving a device a second role; that step is a local search.
   */
  readonly exact: boolean;
  readonly millis: number;
}

/** Devices with the same profile and medium, taken `size` at a time as one unit. */
interface Kind {
  /** The device the programme costs the kind's units by. */
  readonly rep: Device;
  readonly profile: DeviceProfile;
  readonly medium: Medium;
  /** Devices per unit. */
  readonly size: number;
  /** Units of this kind. */
  readonly count: number;
  readonly devices: readonly Device[];
}

type Cost = readonly [number, number];
const less = (a: Cost, b: Cost): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * The programme's size is the number of unit combinations left (the product of each kind's unit
 * count plus one): the exact search takes farms up to the first figure (12 devices in up to
 * four kinds), the grouped one stays near the second so that 100 devices plan in well under a
 * second; beyond MAX_KINDS kinds, the most alike are planned as one.
 */
const EXACT_STATES = 256;
const GROUPED_STATES = 36;
const MAX_KINDS = 5;

/**
 * Devices grouped by kind (profile and medium). Exact: one device per unit. Grouped: devices of
 * one built-in profile on one medium form a kind even if measured apart, the most alike kinds
 * merge while there are too many, each kind is planned with its member with the least memory;
 * one unit per kind, then another for the kind with the most devices per unit while the
 * programme stays small. Each unit holds the same number of devices; the few left over start
 * idle, and `refine` places every device by its own profile.
 */
function makeKinds(
  cost: CostModel,
  farm: Farm,
  maxUnits: number,
): { kinds: Kind[]; exact: boolean } {
  const group = (key: (d: Device) => string): Device[][] => {
    const groups = new Map<string, Device[]>();
    for (const d of farm.devices) {
      const g = groups.get(key(d));
      if (g) g.push(d);
      else groups.set(key(d), [d]);
    }
    return [...groups.values()];
  };
  const states = (counts: readonly number[]) => counts.reduce((a, c) => a * (c + 1), 1);
  const kind = (devices: Device[], count: number): Kind => {
    const size = Math.floor(devices.length / count);
    const rep = devices.reduce((a, d) =>
      d.profile.memory.budgetBytes < a.profile.memory.budgetBytes ? d : a,
    );
    return {
      rep,
      profile: rep.profile,
      medium: rep.medium,
      size,
      count,
      devices: devices.slice(0, size * count),
    };
  };
  const identical = group((d) => `${JSON.stringify(d.profile)}\u0000${d.medium.id}`);
  if (farm.devices.length <= maxUnits && states(identical.map((l) => l.length)) <= EXACT_STATES) {
    return { kinds: identical.map((l) => kind(l, l.length)), exact: true };
  }
  const base = (d: Device) => d.profile.id.replace(/-measured$/, '');
  const lists = group((d) => `${base(d)}\u0000${d.medium.id}`);
  const speed = (l: readonly Device[]) =>
    1 / cost.computeSeconds(l[0]!.profile, 0, cost.layerCount);
  while (lists.length > MAX_KINDS) {
    // Merge the two kinds closest in speed, on one medium if any two share one.
    let best: [number, number, number] = [0, 1, Infinity];
    for (let i = 0; i < lists.length; i++) {
      for (let j = i + 1; j < lists.length; j++) {
        const apart =
          Math.abs(Math.log(speed(lists[i]!) / speed(lists[j]!))) +
          (lists[i]![0]!.medium === lists[j]![0]!.medium ? 0 : 100);
        if (apart < best[2]) best = [i, j, apart];
      }
    }
    const [i, j] = best;
    lists[i] = [...lists[i]!, ...lists[j]!];
    lists.splice(j, 1);
  }
  const counts = lists.map(() => 1);
  for (;;) {
    let pick = -1;
    lists.forEach((l, i) => {
      if (
        counts[i]! < l.length &&
        (pick < 0 || l.length / counts[i]! > lists[pick]!.length / counts[pick]!)
      )
        pick = i;
    });
    if (pick < 0) break;
    const next = counts.map((c, i) => (i === pick ? c + 1 : c));
    if (next.reduce((a, b) => a + b, 0) > maxUnits || states(next) > GROUPED_STATES) break;
    counts[pick]!++;
  }
  return { kinds: lists.map((l, i) => kind(l, counts[i]!)), exact: false };
}

/** Units of one kind doing the same work in a stage option. */
interface Group {
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
interface StageOption {
  readonly parts: number;
  readonly replicated: boolean;
  readonly groups: readonly Group[];
  /** The most it can deliver: with one producer and one consumer (fewest messages). */
  readonly maxIps: number;
}

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

class Programme {
  private readonly cuts: readonly number[];
  private readonly strides: number[];
  private readonly states: number;
  private readonly maxParts: number;
  private readonly bases = new Map<string, PartBase | null>();
  private readonly optionCache = new Map<number, readonly StageOption[]>();

  constructor(
    private readonly model: CostModel,
    private readonly farm: Farm,
    readonly kinds: readonly Kind[],
    cuts: readonly number[],
    /** The grouped search mixes few kinds in one stage; refine() adds others device by device. */
    private readonly maxKindsPerStage: number,
  ) {
    this.cuts = cuts;
    this.strides = [];
    let s = 1;
    for (const k of kinds) {
      this.strides.push(s);
      s *= k.count + 1;
    }
    this.states = s;
    this.maxParts = kinds.reduce((a, k) => a + k.count, 0) + 1;
  }

  get allUnits(): number {
    return this.kinds.reduce((a, k, i) => a + k.count * this.strides[i]!, 0);
  }

  /** A unit's part cost before messages, or null when it does not fit the unit's memory. */
  private base(ki: number, a: number, b: number, share: number): PartBase | null {
    const key = `${ki}:${a}:${b}:${share}`;
    let c = this.bases.get(key);
    if (c === undefined) {
      const d = this.kinds[ki]!.rep;
      const pb = this.model.partBase(d, this.cuts[a]!, this.cuts[b]!, share);
      c = pb.peakBytes <= d.profile.memory.budgetBytes ? pb : null;
      this.bases.set(key, c);
    }
    return c;
  }

  private period(g: Group, producers: number, consumers: number): PartCost {
    const key = producers * 4096 + consumers;
    let c = g.linked.get(key);
    if (!c) {
      c = withLinks(this.kinds[g.ki]!.rep, g.base, producers, consumers);
      g.linked.set(key, c);
    }
    return c;
  }

  private option(
    parts: number,
    replicated: boolean,
    groups: ReadonlyArray<Omit<Group, 'linked'>>,
  ): StageOption {
    const gs = groups.map((g) => ({ ...g, linked: new Map<number, PartCost>() }));
    const o = { parts, replicated, groups: gs, maxIps: 0 };
    o.maxIps = this.optionIps(o, 0, 1, 1, []);
    return o;
  }

  /** Every way to run stage [a, b) on exactly the units `take` (`takeIndex` is their state index). */
  private options(
    a: number,
    b: number,
    take: readonly number[],
    takeIndex: number,
  ): readonly StageOption[] {
    const key = (a * this.cuts.length + b) * this.states + takeIndex;
    const hit = this.optionCache.get(key);
    if (hit) return hit;
    const out: StageOption[] = [];
    const used = take.flatMap((n, ki) => (n > 0 ? [ki] : []));
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
          const base = this.base(ki, a, b, 1 / p);
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
          base: this.base(u.ki, a, b, u.speed / total),
        }));
        // Every base is non-null here (checked just above), hence the cast.
        if (groups.every((g) => g.base !== null))
          out.push(this.option(units, false, groups as Array<Omit<Group, 'linked'>>));
      }
    }
    this.optionCache.set(key, out);
    return out;
  }

  /** Frames per second the option delivers; 0 when a replica could be dropped and still give λ. */
  private optionIps(
    o: StageOption,
    lambda: number,
    producers: number,
    consumers: number,
    periods: PartCost[],
  ): number {
    periods.length = 0;
    let sum = 0;
    let min = Infinity;
    let minUnit = Infinity;
    for (const g of o.groups) {
      const c = this.period(g, producers, consumers);
      periods.push(c);
      const unit = this.kinds[g.ki]!.size / c.periodSec;
      sum += g.replicas * unit;
      min = Math.min(min, g.replicas * unit);
      minUnit = Math.min(minUnit, unit);
    }
    if (!o.replicated) return min;
    if (lambda <= 0) return sum;
    // A replica to spare is never better than leaving it idle: keep minimal sets only.
    return sum - minUnit >= lambda ? 0 : sum;
  }

  /** Air time per byte for a hop received by these units (weights: their share of frames). */
  private airPerByte(weights: ReadonlyArray<{ medium: Medium; w: number }>): number {
    let t = 0;
    for (const { medium, w } of weights)
      if (medium.kind === 'shared') t += w / bytesPerSecOf(medium);
    return t;
  }

  private hopSec(bytes: number, media: ReadonlySet<Medium>): number {
    let t = 0;
    for (const m of media) t = Math.max(t, bytes / bytesPerSecOf(m) + m.latencyMs / 1000);
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
      a === 0 ? new Set([...media, this.farm.coordinator]) : media,
    );
    latency += Math.max(...periods.map((c) => c.computeSec + c.ioSec));
    if (last)
      latency += this.hopSec(chain.cutBytes[to]!, new Set([...media, this.farm.coordinator]));
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

  /** The cheapest layout where every stage delivers at least λ, or null. */
  solve(objective: PlanObjective, lambda: number): Layout | null {
    const C = this.cuts.length;
    const K = this.kinds.length;
    const memo = new Map<number, readonly Best[]>();
    const periods: PartCost[] = [];
    const terminal: readonly Best[] = [{ parts: 1, cost: [0, 0], choice: null }];
    // best(ci, left, producers): for each part count of the first stage, the cheapest cover of
    // the layers from cut ci on with the units `left`, after a stage of `producers` parts.
    const best = (ci: number, left: number, producers: number): readonly Best[] => {
      if (ci === C - 1) return terminal;
      const key = (ci * this.states + left) * this.maxParts + producers;
      const hit = memo.get(key);
      if (hit) return hit;
      const byParts = new Map<number, Best>();
      const avail = this.kinds.map(
        (_, ki) => Math.floor(left / this.strides[ki]!) % (this.kinds[ki]!.count + 1),
      );
      const take = new Array<number>(K).fill(0);
      const rate = new Array<number>(K).fill(0);
      const from = this.cuts[ci]!;
      const splitEnd = this.model.chain.splitEnd.get(from) ?? from;
      for (let cb = ci + 1; cb < C; cb++) {
        // Longer stages only get slower: once every unit left together cannot deliver λ, no
        // longer stage can either (a split, which can beat that, ends at splitEnd at the latest).
        const splittable = this.cuts[cb]! <= splitEnd;
        let bound = 0;
        for (let k = 0; k < K; k++) {
          const kd = this.kinds[k]!;
          rate[k] = kd.size / this.model.computeSeconds(kd.profile, from, this.cuts[cb]!);
          bound += avail[k]! * rate[k]!;
        }
        if (!splittable && bound < lambda) break;
        take.fill(0);
        // Odometer over every non-empty sub-multiset of the units left.
        for (;;) {
          let ki = 0;
          while (ki < K && take[ki] === avail[ki]) take[ki++] = 0;
          if (ki === K) break;
          take[ki]!++;
          let used = 0;
          let upper = 0;
          let mixed = 0;
          for (let k = 0; k < K; k++) {
            used += take[k]! * this.strides[k]!;
            upper += take[k]! * rate[k]!;
            if (take[k]! > 0) mixed++;
          }
          if (mixed > this.maxKindsPerStage) continue;
          // Replicas never beat their compute-only rate; only a split (spill avoided) might.
          if (!splittable && upper < lambda) continue;
          const opts = this.options(ci, cb, take, used);
          if (opts.length === 0) continue;
          for (const o of opts) {
            // Too slow even with the fewest messages, or a replica to spare even with the most.
            if (
              o.maxIps < lambda ||
              this.optionIps(o, lambda, producers, this.maxParts, periods) === 0
            )
              continue;
            const rest = best(cb, left - used, o.parts);
            for (const r of rest) {
              const ips = this.optionIps(o, lambda, producers, r.parts, periods);
              if (ips < lambda) continue;
              const sc = this.stageCost(objective, lambda, ci, cb, o, periods, ips);
              const total: Cost = [sc[0] + r.cost[0], sc[1] + r.cost[1]];
              const cur = byParts.get(o.parts);
              if (!cur || less(total, cur.cost)) {
                byParts.set(o.parts, {
                  parts: o.parts,
                  cost: total,
                  choice: { next: cb, take: [...take], option: o, consumers: r.parts },
                });
              }
            }
          }
        }
      }
      const result = [...byParts.values()];
      memo.set(key, result);
      return result;
    };
    const roots = best(0, this.allUnits, 1);
    if (roots.length === 0) return null;
    let node = roots.reduce((x, y) => (less(y.cost, x.cost) ? y : x));
    const pools = this.kinds.map((k) => [...k.devices]);
    const takeUnit = (ki: number): Device[] => pools[ki]!.splice(0, this.kinds[ki]!.size);
    const stages: StageLayout[] = [];
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
      const next = best(ch.next, left, o.parts).find((x) => x.parts === ch.consumers)!;
      ci = ch.next;
      node = next;
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

const signature = (layout: Layout): string =>
  layout
    .map(
      (s) =>
        `${s.from}-${s.to}:${s.parts.map((p) => `${p.share.toFixed(4)}x${p.devices.map((d) => d.id).join('+')}`).join('|')}`,
    )
    .join('/');

/** Sorts candidates by the objective: the first is the plan to run. */
function rank(objective: PlanObjective, a: Candidate, b: Candidate): number {
  const ea = a.evaluation;
  const eb = b.evaluation;
  if (objective === 'latency') return ea.latencySec - eb.latencySec || eb.ips - ea.ips;
  if (objective === 'energy')
    return ea.staticJ + ea.dynamicJ - (eb.staticJ + eb.dynamicJ) || eb.ips - ea.ips;
  // Equal IPS (a medium caps both): the faster, then the leaner layout (fewer devices powered).
  if (Math.abs(ea.ips - eb.ips) > 1e-6 * Math.max(ea.ips, eb.ips)) return eb.ips - ea.ips;
  return ea.latencySec - eb.latencySec || ea.staticJ + ea.dynamicJ - (eb.staticJ + eb.dynamicJ);
}

/** Finds the best layouts of the model over the farm. */
export function search(model: CostModel, farm: Farm, opts: SearchOptions): SearchResult {
  const started = performance.now();
  const maxUnits = opts.maxUnits ?? 12;
  const { kinds, exact } = makeKinds(model, farm, maxUnits);
  const prog = new Programme(model, farm, kinds, coarseCuts(model.chain), exact ? Infinity : 2);
  const found = new Map<string, Candidate>();
  const maxLatency = opts.maxLatencySec ?? Infinity;

  const consider = (layout: Layout): Candidate => {
    const key = signature(layout);
    let c = found.get(key);
    if (!c) {
      c = { layout, evaluation: model.evaluate(layout, farm) };
      found.set(key, c);
    }
    return c;
  };
  const run = (objective: PlanObjective, lambda: number): Candidate | null => {
    const layout = prog.solve(objective, lambda);
    return layout ? consider(layout) : null;
  };
  /** A λ is reachable when a layout delivers it whole: compute, medium and latency bound. */
  const reach = (lambda: number): Candidate | null => {
    // Under a latency cap, the leanest layout in air time may be too slow: try the fastest too.
    for (const objective of maxLatency < Infinity
      ? (['ips', 'latency'] as const)
      : (['ips'] as const)) {
      const c = run(objective, lambda);
      if (!c) return null;
      if (c.evaluation.ips >= lambda * (1 - 1e-9) && c.evaluation.latencySec <= maxLatency)
        return c;
    }
    return null;
  };

  // Bisection on λ: reachability is monotone (a layout that delivers λ delivers less too).
  let lo = 0;
  // No plan beats every device being as fast as the fastest one on every layer (boards can
  // specialise, so the farm's whole-model rate is no bound), nor the coordinator's shared
  // medium carrying just the frames and results.
  const io = model.chain.cutBytes[0]! + model.chain.cutBytes[model.layerCount]!;
  const airBound =
    farm.coordinator.kind === 'shared' ? bytesPerSecOf(farm.coordinator) / io : Infinity;
  let hi = Math.min(model.specialisedBoundIps(farm.devices), airBound) * 1.0001;
  let reached = false;
  const tolerance = 1e-3;
  for (let i = 0; i < 40 && hi - lo > tolerance * hi; i++) {
    const mid = (lo + hi) / 2;
    const c = reach(mid);
    if (!c) {
      hi = mid;
      continue;
    }
    lo = Math.max(mid, c.evaluation.ips);
    reached = true;
    // The layout found often is the optimum: if nothing reaches just above it, stop here.
    const above = lo * (1 + tolerance);
    if (above < hi) {
      const d = reach(above);
      if (d) lo = Math.max(above, d.evaluation.ips);
      else hi = above;
    }
  }
  // Just past the edge, the compute may allow more while the medium caps it lower.
  run('ips', hi);
  // Nothing reached (a latency cap too tight, say): still offer the fastest layout to judge.
  if (!reached) run('latency', 1e-9);
  if (opts.objective === 'latency') {
    const fastest = run('latency', 1e-9);
    if (fastest) {
      // Among the fastest layouts, the one with the most IPS.
      for (let i = 0, a = 0, b = lo || fastest.evaluation.ips; i < 20; i++) {
        const mid = (a + b) / 2;
        const c = run('latency', mid);
        if (c && c.evaluation.latencySec <= fastest.evaluation.latencySec * (1 + 1e-9)) a = mid;
        else b = mid;
      }
    }
  } else if (opts.objective === 'energy' && lo > 0) {
    for (let f = 1; f >= 0.05; f *= 0.85) run('energy', lo * f);
  }
  // Alternatives for --top: slower but leaner layouts.
  if ((opts.top ?? 1) > 1 && lo > 0) for (const f of [0.95, 0.85, 0.7, 0.5]) run('ips', lo * f);

  const keep = (c: Candidate) => c.evaluation.fits && c.evaluation.latencySec <= maxLatency;
  /** Best first, each layout once. */
  const ranked = (cs: readonly Candidate[]): Candidate[] => {
    const seen = new Set<string>();
    return [...cs]
      .sort((a, b) => rank(opts.objective, a, b))
      .filter((c) => !seen.has(signature(c.layout)) && seen.add(signature(c.layout)));
  };
  const leaders = (cs: readonly Candidate[]) => cs.slice(0, Math.max(3, opts.top ?? 1));
  let candidates = ranked([...found.values()].filter(keep));
  // Grouped units: place the devices one by one where they raise the IPS most.
  if (!exact)
    candidates = ranked([
      ...leaders(candidates)
        .map((c) => refine(model, farm, c.layout))
        .filter(keep),
      ...candidates,
    ]);
  // Co-location: a device may take a second role where that frees a board for the bottleneck.
  const better = (a: Candidate, b: Candidate) =>
    keep(a) &&
    rank(opts.objective, a, b) < 0 &&
    // For IPS, only more IPS: a plan no faster but leaner is not worth a shared board.
    (opts.objective !== 'ips' || a.evaluation.ips > b.evaluation.ips * (1 + 1e-6));
  candidates = ranked([
    ...leaders(candidates).map((c) => colocate(model, farm, c, better)),
    ...candidates,
  ]);
  return {
    candidates: candidates.slice(0, Math.max(1, opts.top ?? 1)),
    exact,
    millis: performance.now() - started,
  };
}
