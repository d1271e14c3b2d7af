// The search: the best layout of a chain CNN over a farm. For farms of up to 12 devices (in up to
// six kinds) every device is its own unit and the result is the cost model's optimum over its
// layouts with one role per device; beyond, devices are grouped into units, refined device by
// device afterwards and improved by single-board moves (improve.ts): the heuristic. The
// programme (search-programme.ts) finds, for a target IPS λ, the cheapest layout whose every
// stage delivers λ; bisection on λ gives the highest IPS the compute allows, capped where the
// coordinator's medium (shared air or switched port) runs out of time per frame. The exact
// bisection starts where the heuristic got to, so it mostly tries targets near the optimum,
// where the programme's bound prunes the most. colocate.ts then lets a device take a second role
// where that frees a board for the bottleneck (a local search, outside the exactness claim).
import type { PlanObjective } from '../contract/plan';
import { bytesPerSecOf, type CostModel, type Evaluation, type Layout } from './cost';
import type { Farm } from './farm';
import { coarseCuts, groupedCuts } from './layers';
import { colocate } from './colocate';
import { improve } from './improve';
import { refine } from './refine';
import { exactKinds, groupedKinds, identicalKinds } from './search-kinds';
import { Programme, SearchStopped } from './search-programme';

export { channelBounds, SearchStopped } from './search-programme';

/** Where a search is: the programme's solves so far, the IPS it has reached and its bound. */
export interface SearchProgress {
  readonly method: 'exact' | 'heuristic';
  /** Solves done, and about how many the search needs in all (grows while it narrows). */
  readonly step: number;
  readonly steps: number;
  /** States of the programme visited so far. */
  readonly states: number;
  /** The best IPS a layout reached so far (0 before the first). */
  readonly bestIps: number;
  /** No plan delivers more than this (compute and the coordinator's medium). */
  readonly boundIps: number;
}

export interface SearchOptions {
  readonly objective: PlanObjective;
  /** Plans slower than this from frame in to result out are refused. */
  readonly maxLatencySec?: number;
  /** How many distinct layouts to return, best first. */
  readonly top?: number;
  /** Most units the programme works on; more devices than this are grouped (the heuristic). */
  readonly maxUnits?: number;
  /**
   * The grouped heuristic alone, never the exact programme (the bench measures its own gap to
   * the exact optimum on farms the exact search covers).
   */
  readonly heuristicOnly?: boolean;
  /** Asked now and then: true stops the search with SearchStopped. */
  readonly stop?: () => boolean;
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

const signature = (layout: Layout): string =>
  layout
    .map(
      (s) =>
        `${s.from}-${s.to}:${s.parts.map((p) => `${p.share.toFixed(4)}x${p.devices.map((d) => d.id).join('+')}`).join('|')}`,
    )
    .join('/');

/** Sorts candidates by the objective: the first is the plan to run. */
export function rank(objective: PlanObjective, a: Candidate, b: Candidate): number {
  const ea = a.evaluation;
  const eb = b.evaluation;
  if (objective === 'latency') return ea.latencySec - eb.latencySec || eb.ips - ea.ips;
  if (objective === 'energy')
    return ea.staticJ + ea.dynamicJ - (eb.staticJ + eb.dynamicJ) || eb.ips - ea.ips;
  // Equal IPS (a medium caps both): the faster, then the leaner layout (fewer devices powered).
  if (Math.abs(ea.ips - eb.ips) > 1e-6 * Math.max(ea.ips, eb.ips)) return eb.ips - ea.ips;
  return ea.latencySec - eb.latencySec || ea.staticJ + ea.dynamicJ - (eb.staticJ + eb.dynamicJ);
}

const TOLERANCE = 1e-3;
/**
 * How far under λ a layout the programme found for λ may evaluate, its bottleneck a stage, and
 * still count as reaching it: the programme splits channels in equal shares, the layout in whole
 * channels (a 3-way split of 256 channels), so it may come out a hair slower. Counting that as
 * unreachable stopped the heuristic on alexnet-mc over tx2-cpu:75 at 199 IPS, the exact optimum
 * being 385.
 */
const ROUNDING = 1e-3;
const START_TOLERANCE = 0.03;
/** States the exact programme may visit on a farm beyond 12 devices (about 0.3 s of CPU). */
const WIDE_BUDGET = 4000;
/**
 * CPU the whole search may have spent before that try gives up: on a long chain a state costs
 * more (mobilenetv2's 35 cuts: 4000 states took 0.9 s after the heuristic's 0.75 s on pi3:30).
 */
const WIDE_CPU_MS = 600;

/** CPU time this process has spent, in ms (the search's budgets are CPU, not wall time). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
/**
 * Most cuts the grouped programme tries (resnet50 and vgg16 have 20 and 22 coarse cuts and keep
 * them all; mobilenetv2's 35 are thinned).
 */
const GROUPED_CUTS = 22;
/** Layouts the local search on a grouped plan may evaluate (about 0.45 s on 100 boards). */
const IMPROVE_EVALUATIONS = 1000;

/**
 * No layout of the model on the farm gives more IPS: not its compute (the programme's bound on
 * every device, boards specialising included), nor the coordinator's medium carrying just the
 * frames and results: shared, both cross its air; switched, its port carries the larger of the
 * two (a first stage split in parts only sends more). The bisection starts there, so a farm
 * whose coordinator caps it tries no target above the cap (mobilenetv2 on
 * tx2-cpu:47,pi5:53 spent 3.2 s of CPU on such targets, each a hard solve near the compute's end).
 */
export function upperBoundIps(model: CostModel, farm: Farm): number {
  const frame = model.chain.cutBytes[0]!;
  const result = model.chain.cutBytes[model.layerCount]!;
  const air =
    bytesPerSecOf(farm.coordinator) /
    (farm.coordinator.kind === 'shared' ? frame + result : Math.max(frame, result));
  const kinds = identicalKinds(farm);
  const compute = new Programme(model, farm, kinds, coarseCuts(model.chain), Infinity).boundIps(
    0,
    kinds.map((k) => k.count),
  );
  return Math.min(compute, air);
}

/** What the climbs of one search share: every layout found (each once) and the solves done. */
interface Shared {
  readonly found: Map<string, Candidate>;
  step: number;
}

/** One programme's solves and the bisection's ends. */
class Climb {
  lo = 0;
  hi: number;
  reached = false;

  constructor(
    private readonly model: CostModel,
    private readonly farm: Farm,
    private readonly prog: Programme,
    private readonly method: 'exact' | 'heuristic',
    private readonly opts: SearchOptions,
    private readonly shared: Shared,
    /** Most states the programme may visit (a budget for a try beyond the exact farms). */
    private readonly budget = Infinity,
    /** The process CPU time (cpuMs) at which that try stops. */
    private readonly cpuDeadline = Infinity,
  ) {
    this.bound = upperBoundIps(model, farm);
    this.hi = this.bound * 1.0001;
  }

  /** No plan gives more IPS, however its boards hold their roles (the bisection's start). */
  private readonly bound: number;

  private readonly stop = (): boolean =>
    this.prog.visited > this.budget ||
    (this.cpuDeadline < Infinity && cpuMs() > this.cpuDeadline) ||
    (this.opts.stop?.() ?? false);

  private get maxLatency(): number {
    return this.opts.maxLatencySec ?? Infinity;
  }

  *run(objective: PlanObjective, lambda: number): Generator<SearchProgress, Candidate | null> {
    const layout = this.prog.solve(objective, lambda, this.stop);
    const step = ++this.shared.step;
    let c: Candidate | null = null;
    if (layout) {
      const key = signature(layout);
      c = this.shared.found.get(key) ?? null;
      if (!c) {
        c = { layout, evaluation: this.model.evaluate(layout, this.farm) };
        this.shared.found.set(key, c);
      }
    }
    const left = this.hi > this.lo ? Math.log2((this.hi - this.lo) / (TOLERANCE * this.hi)) : 0;
    yield {
      method: this.method,
      step,
      steps: step + Math.max(1, Math.ceil(left)) + 1,
      states: this.prog.visited,
      bestIps: this.lo,
      boundIps: this.bound,
    };
    return c;
  }

  /** The layout with the least latency, whatever its IPS: solved once (a solve at λ≈0 is the
   * programme's longest, every state feasible). */
  private fastest: Candidate | null | undefined;
  private *fastestLayout(): Generator<SearchProgress, Candidate | null> {
    if (this.fastest === undefined) this.fastest = yield* this.run('latency', 1e-9);
    return this.fastest;
  }

  /** A λ is reachable when a layout delivers it whole: compute, medium and latency bound. */
  private *reach(lambda: number): Generator<SearchProgress, Candidate | null> {
    // Under a latency cap, the leanest layout in air time may be too slow: try the fastest too.
    for (const objective of this.maxLatency < Infinity
      ? (['ips', 'latency'] as const)
      : (['ips'] as const)) {
      const c = yield* this.run(objective, lambda);
      if (!c) return null;
      // Only a stage's compute can be rounded short: a medium's cap is what it is (counting a
      // layout capped just under λ as reaching it kept mobilenetv2's bisection on 75 boards
      // trying ten more targets above the cap, 3 s of CPU).
      const slack = c.evaluation.bottleneck.kind === 'stage' ? ROUNDING : 1e-9;
      if (c.evaluation.ips >= lambda * (1 - slack) && c.evaluation.latencySec <= this.maxLatency)
        return c;
    }
    return null;
  }

  /**
   * Bisection on λ: reachability is monotone (a layout that delivers λ delivers less too). From
   * `from`, when given (the heuristic's climb), it starts at what that reached: no λ below it is
   * tried, and the targets near the optimum are where the programme's bound prunes the most.
   * `tolerance`: how close the ends must come (coarser for a climb that only gives a start).
   */
  *bisect(from?: Climb, tolerance = TOLERANCE): Generator<SearchProgress, void> {
    if (from?.reached) {
      this.lo = from.lo;
      this.reached = true;
    } else if (this.maxLatency < Infinity) {
      // Under a latency cap, the fastest layout first: when even it is too slow, nothing reaches
      // the cap and the search is over (bisecting from 0 halved λ forty times, every solve near
      // 0 a walk of the whole space: over 300 s of CPU on 12 boards); else it reaches its IPS.
      const fastest = yield* this.fastestLayout();
      if (!fastest || fastest.evaluation.latencySec > this.maxLatency) {
        this.hi = this.lo;
        return;
      }
      this.lo = fastest.evaluation.ips;
      this.reached = true;
    }
    for (let i = 0; i < 40 && this.hi - this.lo > tolerance * this.hi; i++) {
      const mid = (this.lo + this.hi) / 2;
      const c = yield* this.reach(mid);
      if (!c) {
        this.hi = mid;
        continue;
      }
      this.lo = Math.max(mid, c.evaluation.ips);
      this.reached = true;
      // The layout found often is the optimum: if nothing reaches just above it, stop here.
      const above = this.lo * (1 + TOLERANCE);
      if (above < this.hi) {
        const d = yield* this.reach(above);
        if (d) this.lo = Math.max(above, d.evaluation.ips);
        else this.hi = above;
      }
    }
    // Just past the edge, the compute may allow more while the medium caps it lower (within
    // the tolerance; cheap for the grouped programme only, where every λ is).
    // Not when the medium's cap is reached already: nothing gives more.
    if (this.method === 'heuristic' && this.lo < this.bound) yield* this.run('ips', this.hi);
  }

  /** The layouts the objective asks for beyond the fastest, and the alternatives for --top. */
  *explore(): Generator<SearchProgress, void> {
    // Nothing reached (a latency cap too tight, say): still offer the fastest layout to judge.
    if (!this.reached) yield* this.fastestLayout();
    const lo = this.lo;
    if (this.opts.objective === 'latency') {
      const fastest = yield* this.fastestLayout();
      if (fastest) {
        // Among the fastest layouts, the one with the most IPS.
        for (let i = 0, a = 0, b = lo || fastest.evaluation.ips; i < 20; i++) {
          const mid = (a + b) / 2;
          const c = yield* this.run('latency', mid);
          if (c && c.evaluation.latencySec <= fastest.evaluation.latencySec * (1 + 1e-9)) a = mid;
          else b = mid;
        }
      }
    } else if (this.opts.objective === 'energy' && lo > 0) {
      for (let f = 1; f >= 0.05; f *= 0.85) yield* this.run('energy', lo * f);
    }
    // Alternatives for --top: slower but leaner layouts.
    if ((this.opts.top ?? 1) > 1 && lo > 0)
      for (const f of [0.95, 0.85, 0.7, 0.5]) yield* this.run('ips', lo * f);
  }
}

/** Finds the best layouts of the model over the farm. */
export function search(model: CostModel, farm: Farm, opts: SearchOptions): SearchResult {
  const steps = searchSteps(model, farm, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same search, giving the event loop a turn after every solve of the programme (each well
 * under a second for the farms it runs exactly): progress goes to `onProgress`, and an aborted
 * `signal` stops it (between solves, or inside one at its next look) with SearchStopped.
 */
export async function searchAsync(
  model: CostModel,
  farm: Farm,
  opts: SearchOptions,
  onProgress: (p: SearchProgress) => void,
  signal?: AbortSignal,
): Promise<SearchResult> {
  const steps = searchSteps(model, farm, {
    ...opts,
    stop: () => (signal?.aborted ?? false) || (opts.stop?.() ?? false),
  });
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    onProgress(r.value);
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new SearchStopped();
  }
}

/** The search, one programme solve at a time: yields where it is after each. */
export function* searchSteps(
  model: CostModel,
  farm: Farm,
  opts: SearchOptions,
): Generator<SearchProgress, SearchResult> {
  const started = performance.now();
  const startedCpu = cpuMs();
  const maxUnits = opts.maxUnits ?? 12;
  const cuts = coarseCuts(model.chain);
  const units = opts.heuristicOnly ? null : exactKinds(farm, maxUnits);
  const shared: Shared = { found: new Map<string, Candidate>(), step: 0 };
  const grouped = new Climb(
    model,
    farm,
    new Programme(
      model,
      farm,
      groupedKinds(model, farm, maxUnits),
      groupedCuts(model.chain, GROUPED_CUTS),
      2,
    ),
    'heuristic',
    opts,
    shared,
  );
  // A few boards of one kind: the exact programme is as small as the grouped one.
  const alone = units?.length === 1 && farm.devices.length <= 12;
  // Where the exact programme surely finishes, the heuristic only gives it a start: roughly.
  if (!alone) yield* grouped.bisect(undefined, units ? START_TOLERANCE : TOLERANCE);
  // Beyond the exact farms, a farm of few kinds still gets the exact programme, within a budget
  // of states and CPU (most such farms finish well within it, and then the heuristic's result is
  // the optimum's); a farm it cannot finish keeps the best layouts found.
  const wide = units || opts.heuristicOnly ? null : exactKinds(farm, Infinity);
  let explorer = grouped;
  if (units || wide) {
    // The exact bisection starts from what the heuristic reached (its layouts stay in the
    // running: the optimum is the best of both).
    const precise = new Climb(
      model,
      farm,
      new Programme(model, farm, (units ?? wide)!, cuts, Infinity),
      'exact',
      opts,
      shared,
      units ? Infinity : WIDE_BUDGET,
      units ? Infinity : startedCpu + WIDE_CPU_MS,
    );
    try {
      yield* precise.bisect(grouped);
    } catch (err) {
      if (!(err instanceof SearchStopped) || opts.stop?.()) throw err;
    }
    // The other objectives and the alternatives are not claimed exact: they come from the
    // grouped programme, which tries low targets cheaply, unless that one was never needed.
    if (alone) explorer = precise;
    else grouped.lo = Math.max(grouped.lo, precise.lo);
  }
  yield* explorer.explore();
  const exact = units !== null;

  const maxLatency = opts.maxLatencySec ?? Infinity;
  const keep = (c: Candidate) => c.evaluation.fits && c.evaluation.latencySec <= maxLatency;
  /** Best first, each layout once. */
  const ranked = (cs: readonly Candidate[]): Candidate[] => {
    const seen = new Set<string>();
    return [...cs]
      .sort((a, b) => rank(opts.objective, a, b))
      .filter((c) => !seen.has(signature(c.layout)) && seen.add(signature(c.layout)));
  };
  const leaders = (cs: readonly Candidate[]) => cs.slice(0, Math.max(3, opts.top ?? 1));
  let candidates = ranked([...shared.found.values()].filter(keep));
  // Grouped units: place the devices one by one where they raise the IPS most.
  if (!exact) {
    candidates = ranked([
      ...leaders(candidates)
        .map((c) => refine(model, farm, c.layout))
        .filter(keep),
      ...candidates,
    ]);
    // Then single-board moves on the best (the must's IPS: other objectives keep the grouped).
    if (opts.objective === 'ips' && candidates[0])
      candidates = ranked([
        improve(model, farm, candidates[0].layout, IMPROVE_EVALUATIONS),
        ...candidates,
      ]);
  }
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
