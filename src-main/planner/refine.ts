// Device-by-device improvement of a layout the grouped search found for a large farm: the
// programme moved devices in units, so some stages got a few too many and some devices were
// left out. Repeatedly give the bottleneck part one more replica (an idle device, or one taken
// from a part with replicas to spare) while the plan's IPS rises.
import type { CostModel, Evaluation, Layout } from './cost';
import type { Device, Farm } from './farm';

interface Move {
  readonly layout: Layout;
  readonly evaluation: Evaluation;
}

/** Where a device comes from: idle, or one of its roles (stage, part). */
type Donor = readonly [number, number] | null;

/**
 * The layout with `device` moved from its role `from` (none when idle) to part `pi` of stage
 * `si`; any other role it holds stays.
 */
function moved(layout: Layout, device: Device, from: Donor, si: number, pi: number): Layout {
  return layout.map((s, i) => ({
    ...s,
    parts: s.parts.map((p, j) => {
      const devices =
        from && from[0] === i && from[1] === j ? p.devices.filter((d) => d !== device) : p.devices;
      return { ...p, devices: i === si && j === pi ? [...devices, device] : devices };
    }),
  }));
}

export function refine(
  cost: CostModel,
  farm: Farm,
  start: Layout,
  maxMoves = 4 * farm.devices.length,
): Move {
  let best: Move = { layout: start, evaluation: cost.evaluate(start, farm) };
  for (let n = 0; n < maxMoves && best.evaluation.bottleneck.kind === 'stage'; n++) {
    const ev = best.evaluation;
    const si = ev.bottleneck.index;
    const pi = ev.stageBottleneckPart[si]!;
    // One candidate per kind of device and place it comes from: same profile, same medium,
    // same donor part are interchangeable.
    const seen = new Set<string>();
    const candidates: Array<{ d: Device; from: Donor }> = [];
    const offer = (d: Device, from: Donor) => {
      const key = `${from ? from.join('.') : 'idle'}\u0000${d.profile.id}\u0000${d.medium.id}`;
      if (!seen.has(key)) {
        seen.add(key);
        candidates.push({ d, from });
      }
    };
    for (const d of ev.idle) offer(d, null);
    const target = best.layout[si]!.parts[pi]!.devices;
    best.layout.forEach((s, i) =>
      s.parts.forEach((p, j) => {
        if (p.devices.length > 1 && !(i === si && j === pi))
          for (const d of p.devices) if (!target.includes(d)) offer(d, [i, j]);
      }),
    );
    let next: Move | null = null;
    for (const { d, from } of candidates) {
      const layout = moved(best.layout, d, from, si, pi);
      const evaluation = cost.evaluate(layout, farm);
      if (!evaluation.fits) continue;
      if (evaluation.ips > (next ?? best).evaluation.ips * (1 + 1e-9))
        next = { layout, evaluation };
    }
    if (!next) break;
    best = next;
  }
  return best;
}
