// A local search on the grouped heuristic's plan for a farm too large for the exact programme.
// The grouped programme moves boards in units of a kind, so its plans miss what only single
// boards can do: swap a board of one kind for a faster one elsewhere (tx2-gpu:8,pi4:8 came back
// with two Pi 4s and a TX2 GPU in the wrong stages, 8.5% under the exact optimum), move or drop
// a cut (dealing the two stages' boards again), or split the bottleneck stage in two with a
// board left idle (x86-laptop:6,pi3:7: the fc tail on one laptop instead of the laptop and two
// Pi 3s, 15.6% under). Each round tries these moves on the bottleneck stage, keeps the one that
// raises the IPS most, and fills the result's bottleneck with `refine`; it stops when nothing
// helps or the budget is spent.
import type { CostModel, Layout, StageLayout } from './cost';
import type { FarmBoard, Farm } from './farm';
import { coarseCuts } from './layers';
import { Judge, type Move, offers, refine } from './refine';

/** Split candidates filled with replicas per round: the best few unfilled ones. */
const FILLED = 4;

const same = (a: FarmBoard, b: FarmBoard) => a.profile === b.profile && a.medium === b.medium;

/** One of each kind of device in the list. */
const distinct = (devices: readonly FarmBoard[]): FarmBoard[] =>
  devices.filter((d, i) => devices.findIndex((e) => same(d, e)) === i);

/** A stage run whole by its replicas (one part): its cuts can move without touching channels. */
const whole = (s: StageLayout | undefined): boolean =>
  s !== undefined && s.parts.length === 1 && s.parts[0]!.share === 1;

const stage = (from: number, to: number, devices: readonly FarmBoard[]): StageLayout => ({
  from,
  to,
  parts: [{ share: 1, devices }],
});

/** The layout with devices `a` (in part si.pi) and `b` (elsewhere, or idle) trading places. */
function swapped(layout: Layout, a: FarmBoard, b: FarmBoard, si: number, pi: number): Layout {
  return layout.map((s, i) => ({
    ...s,
    parts: s.parts.map((p, j) => ({
      ...p,
      devices: p.devices.map((d) => {
        if (i === si && j === pi) return d === a ? b : d;
        return d === b ? a : d;
      }),
    })),
  }));
}

/** Layouts one move from `layout` around its bottleneck stage `si` (part `pi`). */
function neighbours(
  cost: CostModel,
  cuts: readonly number[],
  layout: Layout,
  idle: readonly FarmBoard[],
  si: number,
  pi: number,
): { moves: Layout[]; splits: Layout[] } {
  const moves: Layout[] = [];
  const splits: Layout[] = [];
  const here = layout[si]!.parts[pi]!.devices;
  // Swap a board of the bottleneck part for one of another kind elsewhere or idle.
  const elsewhere: FarmBoard[] = [];
  const seen = new Set<string>();
  const add = (d: FarmBoard, where: string) => {
    const key = `${where}\u0000${d.profile.id}\u0000${d.medium.id}`;
    if (!seen.has(key) && !here.includes(d) && seen.add(key)) elsewhere.push(d);
  };
  idle.forEach((d) => add(d, 'idle'));
  layout.forEach((s, i) =>
    s.parts.forEach((p, j) => p.devices.forEach((d) => add(d, `${i}.${j}`))),
  );
  for (const a of distinct(here))
    for (const b of elsewhere) if (!same(a, b)) moves.push(swapped(layout, a, b, si, pi));
  const st = layout[si]!;
  if (!whole(st)) return { moves, splits };
  // Move a cut of the bottleneck stage to any other cut between its neighbours' ends, or drop
  // it (the two stages' boards replicate both).
  const shift = (k: number) => {
    const [x, y] = [layout[k]!, layout[k + 1]!];
    if (!whole(x) || !whole(y)) return;
    const both = [...x.parts[0]!.devices, ...y.parts[0]!.devices];
    moves.push([...layout.slice(0, k), stage(x.from, y.to, both), ...layout.slice(k + 2)]);
    const pair = (c: number, left: readonly FarmBoard[], right: readonly FarmBoard[]) =>
      moves.push([
        ...layout.slice(0, k),
        stage(x.from, c, left),
        stage(c, y.to, right),
        ...layout.slice(k + 2),
      ]);
    for (const c of cuts) {
      if (c <= x.from || c >= y.to) continue;
      if (c !== x.to) pair(c, x.parts[0]!.devices, y.parts[0]!.devices);
      // Or the two stages' boards dealt again for the cut: by compute alone, the boards
      // relatively fastest on the first side go there, as many as balance the two rates.
      const rate = (d: FarmBoard, a: number, b: number) => 1 / cost.computeSeconds(d.profile, a, b);
      const order = both
        .map((d) => ({ d, a: rate(d, x.from, c), b: rate(d, c, y.to) }))
        .sort((p, q) => q.a / q.b - p.a / p.b);
      let first = 0;
      let second = order.reduce((t, o) => t + o.b, 0);
      let split = 1;
      let balance = -1;
      for (let i = 1; i < order.length; i++) {
        first += order[i - 1]!.a;
        second -= order[i - 1]!.b;
        if (Math.min(first, second) > balance) [balance, split] = [Math.min(first, second), i];
      }
      for (const i of [split - 1, split, split + 1])
        if (i >= 1 && i < order.length)
          pair(
            c,
            order.slice(0, i).map((o) => o.d),
            order.slice(i).map((o) => o.d),
          );
    }
  };
  if (si > 0) shift(si - 1);
  if (si < layout.length - 1) shift(si);
  // Split the bottleneck stage in two: its boards on one side, one more board (idle, or a
  // spare replica) or a kind of its own boards on the other.
  const devices = st.parts[0]!.devices;
  const sides: Array<[readonly FarmBoard[], readonly FarmBoard[], Layout]> = [];
  for (const { d, from } of offers(layout, idle, [si, 0])) {
    const rest = from
      ? layout.map((s, i) => ({
          ...s,
          parts: s.parts.map((p, j) =>
            i === from[0] && j === from[1]
              ? { ...p, devices: p.devices.filter((e) => e !== d) }
              : p,
          ),
        }))
      : layout;
    sides.push([devices, [d], rest], [[d], devices, rest]);
  }
  if (devices.length > 1)
    for (const k of distinct(devices)) {
      const mine = devices.filter((d) => same(d, k));
      const others = devices.filter((d) => !same(d, k));
      if (others.length === 0) {
        // One kind: a single board on either side.
        sides.push(
          [devices.slice(1), [devices[0]!], layout],
          [[devices[0]!], devices.slice(1), layout],
        );
      } else sides.push([mine, others, layout], [others, mine, layout]);
    }
  for (const c of cuts) {
    if (c <= st.from || c >= st.to) continue;
    for (const [left, right, base] of sides)
      splits.push([
        ...base.slice(0, si),
        stage(st.from, c, left),
        stage(c, st.to, right),
        ...base.slice(si + 1),
      ]);
  }
  return { moves, splits };
}

/**
 * Improves a plan for the IPS objective by single-board moves (see above), within `evaluations`
 * layout evaluations of the whole farm.
 */
export function improve(cost: CostModel, farm: Farm, start: Layout, evaluations: number): Move {
  const judge = new Judge(cost, farm, evaluations);
  const cuts = coarseCuts(cost.chain);
  const better = (m: Move | null, than: Move): m is Move =>
    m !== null && m.evaluation.fits && m.evaluation.ips > than.evaluation.ips * (1 + 1e-9);
  let best = refine(cost, farm, start, undefined, judge);
  while (!judge.spent && best.evaluation.bottleneck.kind === 'stage') {
    const ev = best.evaluation;
    const si = ev.bottleneck.index;
    const { moves, splits } = neighbours(
      cost,
      cuts,
      best.layout,
      ev.idle,
      si,
      ev.stageBottleneckPart[si]!,
    );
    let next: Move | null = null;
    for (const l of moves) {
      const m = judge.judge(l);
      if (better(m, next ?? best)) next = m;
    }
    // A split alone mostly leaves its new side short of boards: the best few get replicas.
    const judged = splits
      .map((l) => judge.judge(l))
      .filter((m): m is Move => m !== null && m.evaluation.fits)
      .sort((a, b) => b.evaluation.ips - a.evaluation.ips);
    for (const m of judged.slice(0, FILLED)) {
      const filled = refine(cost, farm, m.layout, undefined, judge);
      if (better(filled, next ?? best)) next = filled;
    }
    if (!next) break;
    best = refine(cost, farm, next.layout, undefined, judge);
  }
  return best;
}
