// The search: the best layout of a chain CNN over a farm. Devices are grouped into units (one
// device each for farms up to 12 devices, where the result is exact; groups of identical devices
// beyond, refined device by device afterwards). A dynamic programme over (cut, units left) finds,
// for a target IPS λ, the cheapest layout whose every stage delivers λ: stages are contiguous
// layer runs at valid cuts, each replicated over units or split along output channels into
// parts (each part with replicas), units may stay idle. Bisection on λ then gives the highest
// IPS the compute allows, capped where the shared medium's air time per frame runs out.
import type { PlanObjective } from '../contract/plan';
import type { CostModel, Evaluation, Layout, PartLayout, StageLayout } from './cost';
import type { Device, Farm } from './farm';
import { canSplit } from './layers';
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
  /** True when every device was its own unit: the optimum of the cost model for chain cuts. */
  readonly exact: boolean;
  readonly units: number;
  readonly millis: number;
}

/** Devices with the same profile and medium, taken `size` at a time as one unit. */
interface Kind {
  readonly profile: DeviceProfile;
  readonly medium: Medium;
  /** Devices per unit. */
  readonly size: number;
  /** Units of this kind. */
  readonly count: number;
  readonly devices: readonly Device[];
}

type Cost = readonly [number, number];
const INFEASIBLE: Cost = [Infinity, Infinity];
const less = (a: Cost, b: Cost): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Groups devices into at most `maxUnits` units, as evenly as the kinds allow. */
function makeKinds(farm: Farm, maxUnits: number): Kind[] {
  const groups = new Map<string, Device[]>();
  for (const d of farm.devices) {
    const key = `${d.profile.id}\u0000${JSON.stringify(d.profile)}\u0000${d.medium.id}`;
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  const total = farm.devices.length;
  const kinds: Kind[] = [];
  for (const devices of groups.values()) {
    const units = total <= maxUnits ? devices.length : Math.max(1, Math.min(devices.length, Math.round((devices.length * maxUnits) / total)));
    // Units of one kind differ by at most one device; each size is a kind of its own.
    const small = Math.floor(devices.length / units);
    const big = devices.length - small * units;
    let at = 0;
    for (const [size, count] of [[small + 1, big], [small, units - big]] as const) {
      if (count === 0) continue;
      kinds.push({ profile: devices[0]!.profile, medium: devices[0]!.medium, size, count, devices: devices.slice(at, at + size * count) });
      at += size * count;
    }
  }
  return kinds;
}

interface Choice {
  readonly next: number;
  /** Units of each kind the stage takes. */
  readonly take: readonly number[];
  /** 1: replicated; P > 1: P equal parts of one kind, with replicas; -P: P parts, one unit each, channels by speed. */
  readonly parts: number;
}

/** One stage option: what it costs and delivers. */
interface StageOption {
  readonly ips: number;
  readonly cost: Cost;
}

class Programme {
  private readonly cuts: readonly number[];
  private readonly strides: number[];
  private readonly states: number;
  private readonly period: Float64Array[];
  private readonly busy: Float64Array[];
  private readonly fits: Uint8Array[];
  private readonly splitCache = new Map<string, { period: number; busy: number; fits: boolean }>();
  evaluations = 0;

  constructor(
    private readonly model: CostModel,
    private readonly farm: Farm,
    readonly kinds: readonly Kind[],
  ) {
    this.cuts = model.chain.cutIndices;
    this.strides = [];
    let s = 1;
    for (const k of kinds) {
      this.strides.push(s);
      s *= k.count + 1;
    }
    this.states = s;
    const C = this.cuts.length;
    this.period = kinds.map(() => new Float64Array(C * C));
    this.busy = kinds.map(() => new Float64Array(C * C));
    this.fits = kinds.map(() => new Uint8Array(C * C));
    kinds.forEach((k, ki) => {
      const d = k.devices[0]!;
      for (let a = 0; a < C; a++) {
        for (let b = a + 1; b < C; b++) {
          const c = model.partCost(d, this.cuts[a]!, this.cuts[b]!, 1);
          this.period[ki]![a * C + b] = c.periodSec;
          this.busy[ki]![a * C + b] = c.computeSec + c.ioSec;
          this.fits[ki]![a * C + b] = c.peakBytes <= d.profile.memory.budgetBytes ? 1 : 0;
        }
      }
    });
  }

  get allUnits(): number {
    return this.kinds.reduce((a, k, i) => a + k.count * this.strides[i]!, 0);
  }

  private splitCost(ki: number, a: number, b: number, share: number): { period: number; busy: number; fits: boolean } {
    const key = `${ki}:${a}:${b}:${share}`;
    let c = this.splitCache.get(key);
    if (!c) {
      const d = this.kinds[ki]!.devices[0]!;
      const pc = this.model.partCost(d, this.cuts[a]!, this.cuts[b]!, share);
      c = { period: pc.periodSec, busy: pc.computeSec + pc.ioSec, fits: pc.peakBytes <= d.profile.memory.budgetBytes };
      this.splitCache.set(key, c);
    }
    return c;
  }

  /** Air time per byte for a hop received by these units (weights: their share of frames). */
  private airPerByte(weights: ReadonlyArray<{ medium: Medium; w: number }>): number {
    let t = 0;
    for (const { medium, w } of weights) if (medium.kind === 'shared') t += w / ((medium.mbps * 1e6) / 8);
    return t;
  }

  private hopSec(bytes: number, media: ReadonlySet<Medium>): number {
    let t = 0;
    for (const m of media) t = Math.max(t, bytes / ((m.mbps * 1e6) / 8) + m.latencyMs / 1000);
    return t;
  }

  /**
   * What a stage [a, b) costs by the objective (primary, secondary). `parts` are the parts of a
   * split stage, or for a replicated stage one entry per kind of replica.
   */
  private stageCost(
    objective: PlanObjective,
    lambda: number,
    a: number,
    b: number,
    replicated: boolean,
    parts: ReadonlyArray<{ ki: number; replicas: number; period: number; busy: number }>,
    ips: number,
  ): Cost {
    const chain = this.model.chain;
    const from = this.cuts[a]!;
    const to = this.cuts[b]!;
    const last = b === this.cuts.length - 1;
    // A replicated stage receives each frame once, on the replica it goes to; every part of a
    // split stage receives the whole input.
    const weight = (p: (typeof parts)[number]) =>
      replicated ? (p.replicas * this.kinds[p.ki]!.size) / p.period / ips : 1;
    let air = chain.cutBytes[from]! * this.airPerByte(parts.map((p) => ({ medium: this.kinds[p.ki]!.medium, w: weight(p) })));
    if (last) air += chain.cutBytes[to]! * this.airPerByte([{ medium: this.farm.coordinator, w: 1 }]);
    const media = new Set(parts.map((p) => this.kinds[p.ki]!.medium));
    let latency = this.hopSec(chain.cutBytes[from]!, a === 0 ? new Set([...media, this.farm.coordinator]) : media);
    latency += Math.max(...parts.map((p) => p.busy));
    if (last) latency += this.hopSec(chain.cutBytes[to]!, new Set([...media, this.farm.coordinator]));
    if (objective === 'ips') return [air, latency];
    if (objective === 'latency') return [latency, air];
    let energy = 0;
    for (const p of parts) {
      const k = this.kinds[p.ki]!;
      const pw = k.profile.power;
      energy += (p.replicas * k.size * pw.idleWatts) / lambda + weight(p) * p.busy * (pw.fullWatts - pw.idleWatts);
    }
    return [energy, latency];
  }

  /** The options for stage [a, b) on exactly the units `take`. */
  private options(objective: PlanObjective, lambda: number, a: number, b: number, take: readonly number[], out: Array<StageOption & { parts: number }>): void {
    const C = this.cuts.length;
    const from = this.cuts[a]!;
    const to = this.cuts[b]!;
    let ips = 0;
    let allFit = true;
    let minUnitIps = Infinity;
    const used: number[] = [];
    take.forEach((n, ki) => {
      if (n === 0) return;
      used.push(ki);
      const unitIps = this.kinds[ki]!.size / this.period[ki]![a * C + b]!;
      ips += n * unitIps;
      minUnitIps = Math.min(minUnitIps, unitIps);
      if (!this.fits[ki]![a * C + b]) allFit = false;
    });
    this.evaluations++;
    // Replicated: every unit runs the whole stage. A set with a unit to spare is never better
    // than the set without it (idle units cost nothing), so only minimal sets are kept.
    if (allFit && ips >= lambda && ips - minUnitIps < lambda) {
      const parts = used.map((ki) => ({ ki, replicas: take[ki]!, period: this.period[ki]![a * C + b]!, busy: this.busy[ki]![a * C + b]! }));
      out.push({ ips, parts: 1, cost: this.stageCost(objective, lambda, a, b, true, parts, ips) });
    }
    if (!canSplit(this.model.chain, from, to)) return;
    const units = take.reduce((x, y) => x + y, 0);
    if (used.length === 1) {
      const ki = used[0]!;
      const k = this.kinds[ki]!;
      for (let p = 2; p <= units; p++) {
        if (units % p !== 0 || p > (this.model.chain.channels.get(from) ?? 0)) continue;
        const r = units / p;
        const c = this.splitCost(ki, a, b, 1 / p);
        const sIps = (r * k.size) / c.period;
        if (!c.fits || sIps < lambda) continue;
        const parts = Array.from({ length: p }, () => ({ ki, replicas: r, period: c.period, busy: c.busy }));
        out.push({ ips: sIps, parts: p, cost: this.stageCost(objective, lambda, a, b, false, parts, sIps) });
      }
    } else {
      const parts = this.mixedSplit(a, b, take);
      if (parts) {
        const sIps = Math.min(...parts.map((p) => this.kinds[p.ki]!.size / p.period));
        if (sIps >= lambda) out.push({ ips: sIps, parts: -units, cost: this.stageCost(objective, lambda, a, b, false, parts, sIps) });
      }
    }
  }

  /** One unit per part, channels in proportion to each unit's speed on the whole stage. */
  mixedSplit(a: number, b: number, take: readonly number[]): Array<{ ki: number; replicas: number; period: number; busy: number; share: number }> | null {
    const C = this.cuts.length;
    const speeds: Array<{ ki: number; speed: number }> = [];
    take.forEach((n, ki) => {
      for (let i = 0; i < n; i++) speeds.push({ ki, speed: this.kinds[ki]!.size / this.period[ki]![a * C + b]! });
    });
    const total = speeds.reduce((x, s) => x + s.speed, 0);
    const parts = [];
    for (const s of speeds) {
      const share = s.speed / total;
      const c = this.splitCost(s.ki, a, b, share);
      if (!c.fits) return null;
      parts.push({ ki: s.ki, replicas: 1, period: c.period, busy: c.busy, share });
    }
    return parts;
  }

  /** The cheapest layout where every stage delivers at least λ, or null. */
  solve(objective: PlanObjective, lambda: number): { cost: Cost; choices: Map<number, Choice> } | null {
    const C = this.cuts.length;
    const memo = new Map<number, { cost: Cost; choice: Choice | null }>();
    const K = this.kinds.length;
    const best = (ci: number, left: number): Cost => {
      if (ci === C - 1) return [0, 0];
      const key = ci * this.states + left;
      const hit = memo.get(key);
      if (hit) return hit.cost;
      const take = new Array<number>(K).fill(0);
      const opts: Array<StageOption & { parts: number }> = [];
      let bestCost = INFEASIBLE;
      let bestChoice: Choice | null = null;
      const avail = this.kinds.map((_, ki) => Math.floor(left / this.strides[ki]!) % (this.kinds[ki]!.count + 1));
      for (let cb = ci + 1; cb < C; cb++) {
        // Odometer over every non-empty sub-multiset of the units left.
        take.fill(0);
        for (;;) {
          let ki = 0;
          while (ki < K && take[ki] === avail[ki]) take[ki++] = 0;
          if (ki === K) break;
          take[ki]!++;
          opts.length = 0;
          this.options(objective, lambda, ci, cb, take, opts);
          if (opts.length === 0) continue;
          let used = 0;
          take.forEach((n, k) => (used += n * this.strides[k]!));
          const rest = best(cb, left - used);
          if (rest[0] === Infinity) continue;
          for (const o of opts) {
            const total: Cost = [o.cost[0] + rest[0], o.cost[1] + rest[1]];
            if (less(total, bestCost)) {
              bestCost = total;
              bestChoice = { next: cb, take: [...take], parts: o.parts };
            }
          }
        }
      }
      memo.set(key, { cost: bestCost, choice: bestChoice });
      return bestCost;
    };
    const cost = best(0, this.allUnits);
    if (cost[0] === Infinity) return null;
    const choices = new Map<number, Choice>();
    for (const [k, v] of memo) if (v.choice) choices.set(k, v.choice);
    return { cost, choices };
  }

  /** The layout a solution describes, with real devices and channel ranges. */
  layout(choices: ReadonlyMap<number, Choice>): Layout {
    const C = this.cuts.length;
    const pools = this.kinds.map((k) => [...k.devices]);
    const takeUnit = (ki: number): Device[] => pools[ki]!.splice(0, this.kinds[ki]!.size);
    const stages: StageLayout[] = [];
    let ci = 0;
    let left = this.allUnits;
    while (ci < C - 1) {
      const ch = choices.get(ci * this.states + left)!;
      const from = this.cuts[ci]!;
      const to = this.cuts[ch.next]!;
      let parts: PartLayout[];
      if (ch.parts === 1) {
        parts = [{ share: 1, devices: ch.take.flatMap((n, ki) => Array.from({ length: n }, () => takeUnit(ki)).flat()) }];
      } else {
        const channels = this.model.chain.channels.get(from)!;
        let shares: Array<{ ki: number; share: number; replicas: number }>;
        if (ch.parts > 1) {
          const ki = ch.take.findIndex((n) => n > 0);
          const units = ch.take[ki]!;
          shares = Array.from({ length: ch.parts }, () => ({ ki, share: 1 / ch.parts, replicas: units / ch.parts }));
        } else {
          shares = this.mixedSplit(ci, ch.next, ch.take)!.map((p) => ({ ki: p.ki, share: p.share, replicas: 1 }));
        }
        const bounds = channelBounds(shares.map((s) => s.share), channels);
        parts = shares.map((s, i) => ({
          share: (bounds[i + 1]! - bounds[i]!) / channels,
          channels: [bounds[i]!, bounds[i + 1]!] as const,
          devices: Array.from({ length: s.replicas }, () => takeUnit(s.ki)).flat(),
        }));
      }
      stages.push({ from, to, parts });
      ch.take.forEach((n, k) => (left -= n * this.strides[k]!));
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

const signature = (layout: Layout): string =>
  layout.map((s) => `${s.from}-${s.to}:${s.parts.map((p) => `${p.share.toFixed(4)}x${p.devices.map((d) => d.id).join('+')}`).join('|')}`).join('/');

/** Sorts candidates by the objective: the first is the plan to run. */
function rank(objective: PlanObjective, a: Candidate, b: Candidate): number {
  const ea = a.evaluation;
  const eb = b.evaluation;
  if (objective === 'latency') return ea.latencySec - eb.latencySec || eb.ips - ea.ips;
  if (objective === 'energy') return ea.staticJ + ea.dynamicJ - (eb.staticJ + eb.dynamicJ) || eb.ips - ea.ips;
  return eb.ips - ea.ips || ea.latencySec - eb.latencySec;
}

/** Finds the best layouts of the model over the farm. */
export function search(model: CostModel, farm: Farm, opts: SearchOptions): SearchResult {
  const started = performance.now();
  const maxUnits = opts.maxUnits ?? 12;
  const kinds = makeKinds(farm, maxUnits);
  const prog = new Programme(model, farm, kinds);
  const exact = kinds.every((k) => k.size === 1);
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
    const sol = prog.solve(objective, lambda);
    return sol ? consider(prog.layout(sol.choices)) : null;
  };
  /** A λ is reachable when a layout delivers it whole: compute, medium and latency bound. */
  const reach = (lambda: number): Candidate | null => {
    for (const objective of ['ips', 'latency'] as const) {
      const c = run(objective, lambda);
      if (!c) return null;
      if (c.evaluation.ips >= lambda * (1 - 1e-9) && c.evaluation.latencySec <= maxLatency) return c;
    }
    return null;
  };

  // Bisection on λ: reachability is monotone (a layout that delivers λ delivers less too).
  let lo = 0;
  let hi = model.computeBoundIps(farm.devices) * 1.0001;
  let bestAt: Candidate | null = null;
  for (let i = 0; i < 40 && hi - lo > 1e-6 * hi; i++) {
    const mid = (lo + hi) / 2;
    const c = reach(mid);
    if (c) {
      lo = Math.max(mid, c.evaluation.ips);
      bestAt = c;
    } else {
      hi = mid;
    }
  }
  // Just past the edge, the compute may allow more while the medium caps it lower.
  run('ips', hi);
  if (!bestAt) run('latency', 1e-9);
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
  for (const f of [0.95, 0.85, 0.7, 0.5]) if (lo > 0) run('ips', lo * f);

  const candidates = [...found.values()]
    .filter((c) => c.evaluation.fits && c.evaluation.latencySec <= maxLatency)
    .sort((a, b) => rank(opts.objective, a, b));
  return { candidates: candidates.slice(0, Math.max(1, opts.top ?? 1)), exact, units: kinds.reduce((a, k) => a + k.count, 0), millis: performance.now() - started };
}
