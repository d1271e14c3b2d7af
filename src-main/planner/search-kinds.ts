// The units the search's programme places: devices grouped by kind (profile and medium). Boards
// of one kind are interchangeable, so the programme counts them instead of naming them: its
// states are (cut, units left of each kind), never sets of boards.
import type { CostModel } from './cost';
import type { FarmBoard, Farm } from './farm';
import type { BoardProfile, Medium } from './profile';

/** Devices with the same profile and medium, taken `size` at a time as one unit. */
export interface Kind {
  /** The device the programme costs the kind's units by. */
  readonly rep: FarmBoard;
  readonly profile: BoardProfile;
  readonly medium: Medium;
  /** Devices per unit. */
  readonly size: number;
  /** Units of this kind. */
  readonly count: number;
  readonly devices: readonly FarmBoard[];
}

/**
 * The programme's size is the number of unit combinations left (the product of each kind's unit
 * count plus one). The exact search takes every farm of up to 12 devices in up to six kinds
 * (3^6 = 729: six kinds of two boards is the largest); the grouped one stays near the second
 * figure so that 100 devices plan in well under a second; beyond MAX_KINDS kinds, the most alike
 * are planned as one.
 */
const EXACT_STATES = 729;
const GROUPED_STATES = 36;
const MAX_KINDS = 5;

export const unitStates = (counts: readonly number[]): number =>
  counts.reduce((a, c) => a * (c + 1), 1);

function groupBy(devices: readonly FarmBoard[], key: (d: FarmBoard) => string): FarmBoard[][] {
  const groups = new Map<string, FarmBoard[]>();
  for (const d of devices) {
    const g = groups.get(key(d));
    if (g) g.push(d);
    else groups.set(key(d), [d]);
  }
  return [...groups.values()];
}

function kindOf(devices: readonly FarmBoard[], count: number): Kind {
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
}

/** Devices of identical profile and medium (a measured port's figures too), one unit each. */
export function identicalKinds(farm: Farm): Kind[] {
  return groupBy(
    farm.devices,
    (d) => `${JSON.stringify(d.profile)}\u0000${JSON.stringify(d.medium)}`,
  ).map((l) => kindOf(l, l.length));
}

/** The exact programme's units, or null when the farm is too large for it. */
export function exactKinds(farm: Farm, maxUnits: number): Kind[] | null {
  const kinds = identicalKinds(farm);
  if (farm.devices.length > maxUnits || unitStates(kinds.map((k) => k.count)) > EXACT_STATES)
    return null;
  return kinds;
}

/**
 * Grouped units (the heuristic): devices of one built-in profile on one medium form a kind even
 * if measured apart, the most alike kinds merge while there are too many, each kind is planned
 * with its member with the least memory; one unit per kind, then another for the kind with the
 * most devices per unit while the programme stays small. Each unit holds the same number of
 * devices; the few left over start idle, and `refine` places every device by its own profile.
 */
export function groupedKinds(cost: CostModel, farm: Farm, maxUnits: number): Kind[] {
  const base = (d: FarmBoard) => d.profile.id.replace(/-measured$/, '');
  const lists = groupBy(farm.devices, (d) => `${base(d)}\u0000${d.medium.id}`);
  const speed = (l: readonly FarmBoard[]) =>
    1 / cost.computeSeconds(l[0]!.profile, 0, cost.layerCount);
  while (lists.length > MAX_KINDS) {
    // Merge the two kinds closest in speed, on one medium if any two share one.
    let best: [number, number, number] = [0, 1, Infinity];
    for (let i = 0; i < lists.length; i++) {
      for (let j = i + 1; j < lists.length; j++) {
        const apart =
          Math.abs(Math.log(speed(lists[i]!) / speed(lists[j]!))) +
          (lists[i]![0]!.medium.id === lists[j]![0]!.medium.id ? 0 : 100);
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
    if (next.reduce((a, b) => a + b, 0) > maxUnits || unitStates(next) > GROUPED_STATES) break;
    counts[pick]!++;
  }
  return lists.map((l, i) => kindOf(l, counts[i]!));
}
