// Co-location: the search's programme gives every device one role, so a stage that needs little
// (VGG16's fc_2..fc_3 tail, 17% busy on a Pi 3) still takes a whole board. This pass moves every
// role of a lightly loaded device onto another device with time and memory to spare (the roles
// then share that board: cost.ts adds their times and memory up), and offers the board it frees
// to the bottleneck (refine), while the result ranks better. A local search on top of the
// programme: it claims no optimum.
import type { CostModel, BoardUse, Evaluation, Layout } from './cost';
import type { FarmBoard, Farm } from './farm';
import { refine } from './refine';

export interface Placed {
  readonly layout: Layout;
  readonly evaluation: Evaluation;
}

/** Donors and hosts tried per round, the least loaded first (keeps 100-device farms quick). */
const TRIES = 4;

/** The layout with every role of `from` handed to `to`. */
function handOver(layout: Layout, from: FarmBoard, to: FarmBoard): Layout {
  return layout.map((s) => ({
    ...s,
    parts: s.parts.map((p) =>
      p.devices.includes(from) ? { ...p, devices: p.devices.map((d) => (d === from ? to : d)) } : p,
    ),
  }));
}

/** Devices doing the same roles on the same kind of board are interchangeable: one of each. */
function distinct(uses: readonly BoardUse[]): BoardUse[] {
  const seen = new Set<string>();
  return [...uses]
    .sort((a, b) => a.utilisation - b.utilisation)
    .filter((u) => {
      const key = `${u.device.profile.id}\u0000${u.device.medium.id}\u0000${u.loads.map((l) => `${l.stage}.${l.part}`).join(',')}`;
      return !seen.has(key) && seen.add(key);
    });
}

/**
 * `better(a, b)`: a ranks above b by the search's objective (and is a plan it may return).
 * Rounds stop when no hand-over improves the plan.
 */
export function colocate(
  cost: CostModel,
  farm: Farm,
  start: Placed,
  better: (a: Placed, b: Placed) => boolean,
  maxRounds = farm.devices.length,
): Placed {
  let best = start;
  for (let round = 0; round < maxRounds; round++) {
    const uses = distinct(best.evaluation.devices).filter((u) => u.utilisation < 1 - 1e-9);
    let next: Placed | null = null;
    for (const donor of uses.slice(0, TRIES)) {
      const hosts = uses
        .filter(
          (h) =>
            h !== donor &&
            !h.loads.some((l) =>
              donor.loads.some((m) => m.stage === l.stage && m.part === l.part),
            ) &&
            // Same board kind: the donor's roles cost the host what they cost the donor.
            (h.device.profile !== donor.device.profile ||
              h.utilisation + donor.utilisation <= 1 + 1e-9),
        )
        .slice(0, TRIES);
      for (const host of hosts) {
        const layout = handOver(best.layout, donor.device, host.device);
        const merged = { layout, evaluation: cost.evaluate(layout, farm) };
        if (!merged.evaluation.fits) continue;
        // The freed board as another replica of the bottleneck, or left idle (fewer joules).
        for (const c of [refine(cost, farm, layout, 2), merged])
          if (better(c, next ?? best)) next = c;
      }
    }
    if (!next) break;
    best = next;
  }
  return best;
}
