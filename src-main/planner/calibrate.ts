// Fitting a board's profile to its probes (`mchair profile`): each probe (planner/probes.ts) is a
// few layers of one family run on the board alone. Its time splits, at the base profile's
// speeds, into the family's own work, the helper layers around it (priced at the base profile)
// and a fixed part (per-layer dispatch; the messages when the figure includes them). The
// family's speed is the base's scaled by how much faster or slower its own work ran.
import { type ConvSize, convSizeOf, type BoardProfile, type OpSpeed } from './profile';
import { CostModel } from './cost';
import { analyseChain, opClass, type PlannerModel } from './layers';
import type { FarmBoard } from './farm';
import type { ProbeFamily } from './probes';

export interface ProbeTiming {
  readonly family: ProbeFamily;
  readonly model: PlannerModel;
  /** Seconds per frame the board spent on the probe. */
  readonly seconds: number;
}

export interface FamilyFit {
  readonly family: ProbeFamily;
  readonly seconds: number;
  /** Speed relative to the base profile (2 = twice as fast). */
  readonly scale: number;
}

/** Scales outside this range are a probe lost in overheads, not a board's speed. */
const SCALE_RANGE = [1 / 50, 50] as const;

/** The family a layer is priced by: a conv's size class, or its cost class. */
export function familyOf(l: PlannerModel['layers'][number]): string {
  const cls = opClass(l);
  return cls === 'conv' ? convSizeOf(l) : cls;
}

/**
 * The probe's own-family seconds at the base profile (`own`) and everything else it costs the
 * base board per frame (`rest`: helper layers, per-layer dispatch and, `withMessages`, its I/O).
 */
function splitProbe(device: FarmBoard, t: ProbeTiming, withMessages: boolean) {
  const cost = new CostModel(analyseChain(t.model));
  const p = device.profile;
  let own = 0;
  let rest = withMessages ? cost.partCost(device, 0, cost.layerCount).ioSec : 0;
  t.model.layers.forEach((l, i) => {
    const s = cost.layerSeconds(p, i);
    if (s === 0) return;
    if (familyOf(l) === t.family) {
      own += s - p.layerSec;
      rest += p.layerSec;
    } else rest += s;
  });
  return { own, rest };
}

const scaled = (o: OpSpeed, k: number): OpSpeed => ({
  macsPerSec: o.macsPerSec * k,
  bytesPerSec: o.bytesPerSec * k,
  ...(o.spillBytes !== undefined ? { spillBytes: o.spillBytes } : {}),
  ...(o.spillBytesPerSec !== undefined ? { spillBytesPerSec: o.spillBytesPerSec * k } : {}),
});

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface FitOptions {
  /** The measured seconds include receiving and sending the frame (an emulated board's do). */
  readonly withMessages: boolean;
}

/**
 * Each family's speed from its probe, and the board's profile with them: dense convolutions by
 * size class (the plain `conv` speed, for convolutions of no measured class, at their median),
 * depthwise, fully connected, pooling and elementwise. A family without a probe keeps the base.
 */
export function fitFamilies(
  device: FarmBoard,
  timings: readonly ProbeTiming[],
  opts: FitOptions,
): { ops: BoardProfile['ops']; fits: FamilyFit[] } {
  const base = device.profile.ops;
  const fits = timings.map((t): FamilyFit => {
    const { own, rest } = splitProbe(device, t, opts.withMessages);
    // What the family's own layers took on the board; a probe all overhead bounds it from below.
    const took = Math.max(t.seconds - rest, own * SCALE_RANGE[0]);
    const scale = Math.min(SCALE_RANGE[1], Math.max(SCALE_RANGE[0], own / took));
    return { family: t.family, seconds: t.seconds, scale };
  });
  const scaleOf = new Map(fits.map((f) => [f.family, f.scale]));
  const sized = fits.filter((f) => f.family.startsWith('k') || f.family === 'grouped');
  const convScale = sized.length > 0 ? median(sized.map((f) => f.scale)) : 1;
  const by = (o: OpSpeed, family: ProbeFamily) => scaled(o, scaleOf.get(family) ?? 1);
  const convSizes: Partial<Record<ConvSize, OpSpeed>> = {};
  for (const f of sized) convSizes[f.family as ConvSize] = scaled(base.conv, f.scale);
  return {
    ops: {
      conv: scaled(base.conv, convScale),
      ...(base.dwconv || scaleOf.has('dwconv')
        ? { dwconv: by(base.dwconv ?? base.conv, 'dwconv') }
        : {}),
      gemm: by(base.gemm, 'gemm'),
      pool: by(base.pool, 'pool'),
      elementwise: by(base.elementwise, 'elementwise'),
      ...(sized.length > 0 ? { convSizes } : {}),
    },
    fits,
  };
}
