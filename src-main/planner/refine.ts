// Board-by-board improvement of a layout the grouped search found for a large farm: the
// programme moved devices in units, so some stages got a few too many and some devices were
// left out. Repeatedly give the bottleneck part one more replica (an idle device, or one taken
// from a part with replicas to spare) while the plan's IPS rises.
import type { CostModel, Evaluation, Layout } from './cost';
import type { FarmBoard, Farm } from './farm';

export interface Move {
  readonly layout: Layout;
  readonly evaluation: Evaluation;
}

/** Where a device comes from: idle, or one of its roles (stage, part). */
export type Donor = readonly [number, number] | null;

/**
 * Evaluates layouts for a local search within a budget of evaluations (a 100-board layout costs
 * about 0.45 ms to evaluate, a 16-board one a tenth of that, so the budget counts devices).
 */
export class Judge {
  /** FarmBoard evaluations left. */
  private left: number;

  constructor(
    private readonly cost: CostModel,
    private readonly farm: Farm,
    evaluations = Infinity,
  ) {
    this.left = evaluations * farm.devices.length;
  }

  get spent(): boolean {
    return this.left <= 0;
  }

  /** The layout evaluated, or null when the budget is spent. */
  judge(layout: Layout): Move | null {
    if (this.left <= 0) return null;
    this.left -= this.farm.devices.length;
    return { layout, evaluation: this.cost.evaluate(layout, this.farm) };
  }
}

/**
 * The layout with `device` moved from its role `from` (none when idle) to part `pi` of stage
 * `si`; any other role it holds stays.
 */
export function moved(
  layout: Layout,
  device: FarmBoard,
  from: Donor,
  si: number,
  pi: number,
): Layout {
  return layout.map((s, i) => ({
    ...s,
    parts: s.parts.map((p, j) => {
      const devices =
        from && from[0] === i && from[1] === j ? p.devices.filter((d) => d !== device) : p.devices;
      return { ...p, devices: i === si && j === pi ? [...devices, device] : devices };
    }),
  }));
}

/**
 * Devices that may join another part: every idle one, and the replicas of parts that have more
 * than one (not those of part `keep`), one per kind of device and place (same profile, same medium,
 * same donor part are interchangeable).
 */
export function offers(
  layout: Layout,
  idle: readonly FarmBoard[],
  keep?: readonly [number, number],
): Array<{ d: FarmBoard; from: Donor }> {
  const seen = new Set<string>();
  const out: Array<{ d: FarmBoard; from: Donor }> = [];
  const target = keep ? layout[keep[0]]!.parts[keep[1]]!.devices : [];
  const offer = (d: FarmBoard, from: Donor) => {
    if (target.includes(d)) return;
    const key = `${from ? from.join('.') : 'idle'}\u0000${d.profile.id}\u0000${d.medium.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ d, from });
    }
  };
  for (const d of idle) offer(d, null);
  layout.forEach((s, i) =>
    s.parts.forEach((p, j) => {
      if (p.devices.length > 1 && !(keep && keep[0] === i && keep[1] === j))
        for (const d of p.devices) offer(d, [i, j]);
    }),
  );
  return out;
}

/** `maxMoves` replicas added at most; `judge` may bound the evaluations. */
export function refine(
  cost: CostModel,
  farm: Farm,
  start: Layout,
  maxMoves = 4 * farm.devices.length,
  judge = new Judge(cost, farm),
): Move {
  let best: Move = { layout: start, evaluation: cost.evaluate(start, farm) };
  for (let n = 0; n < maxMoves && best.evaluation.bottleneck.kind === 'stage'; n++) {
    const ev = best.evaluation;
    const si = ev.bottleneck.index;
    const pi = ev.stageBottleneckPart[si]!;
    let next: Move | null = null;
    for (const { d, from } of offers(best.layout, ev.idle, [si, pi])) {
      const m = judge.judge(moved(best.layout, d, from, si, pi));
      if (!m) break;
      if (!m.evaluation.fits) continue;
      if (m.evaluation.ips > (next ?? best).evaluation.ips * (1 + 1e-9)) next = m;
    }
    if (!next) break;
    best = next;
  }
  return best;
}
