// A run's power while it goes, for the Run view: each meter's samples not yet sent (timed from
// the run's first frame), and the running joules per inference over the measured window so far
// by the same rules as runEnergy (the farm's meter when there is one, else the devices' meters
// summed; static = idle W / IPS, dynamic = (average W - idle W) / IPS).
import { LIVE_POWER_BATCH_MAX, type LiveEnergy, type LivePowerMeter } from '../contract/livePower';
import { perInference, powerStats, window } from './energy';
import type { MeterInfo } from './meter';
import type { PowerSample } from './sample';

/**
 * The meters a run's farm figure comes from: one meter on the whole farm when there is one (an
 * instrument before an emulation), else every per-device meter summed.
 */
export function energyBasis<M extends { scope: MeterInfo['scope']; emulated: boolean }>(
  usable: readonly M[],
): { basis: M[]; farmMeter: boolean } {
  const farm = usable
    .filter((m) => m.scope.kind === 'farm')
    .sort((a, b) => Number(a.emulated) - Number(b.emulated))[0];
  return farm ? { basis: [farm], farmMeter: true } : { basis: [...usable], farmMeter: false };
}

export interface LiveMeter {
  info: Pick<MeterInfo, 'label' | 'scope' | 'emulated'>;
  idleW: number | null;
  samples: readonly PowerSample[];
  /** When it joined the run (a board that joined mid-run); absent: there from the run's start. */
  fromMs?: number;
}

/**
 * The share of a window (ms) a meter was in the run for: 1 for one there before it opened, the
 * part after its join for a board that joined mid-way, 0 for one that joined after it closed.
 */
export function shareOfWindow(
  fromMs: number | undefined,
  w: { fromMs: number; toMs: number },
): number {
  const span = w.toMs - w.fromMs;
  if (fromMs === undefined || fromMs <= w.fromMs || !(span > 0)) return 1;
  return Math.min(1, Math.max(0, (w.toMs - fromMs) / span));
}

/** A basis meter's figures inside the window, with the time it joined the run (see LiveMeter). */
export interface WindowPart {
  avgW: number;
  samples: number;
  idleW: number | null;
  fromMs?: number;
}

/**
 * The farm's average and idle watts over a window from its basis meters' own figures there, each
 * counted for the share of the window it was in the run: a board that joined part-way draws for
 * the run, idle included, only from its join (its joules over the whole window's seconds). Null
 * while a meter there from the window's start lacks two samples in it; a board that joined lately
 * counts once it has two. The farm's idle is the user's given idle watts when there are some.
 */
export function farmWindow(
  parts: readonly WindowPart[],
  w: { fromMs: number; toMs: number },
  idleGivenW: number | null,
): { avgW: number; idleW: number } | null {
  let avgW = 0;
  let idleW = 0;
  let counted = 0;
  for (const p of parts) {
    const share = shareOfWindow(p.fromMs, w);
    if (p.samples < 2) {
      if (share === 1) return null;
      continue;
    }
    avgW += p.avgW * share;
    idleW += (p.idleW ?? 0) * share;
    counted++;
  }
  return counted === 0 ? null : { avgW, idleW: idleGivenW ?? idleW };
}

/** The measured window so far, on the power session's clock (ms). */
export interface LiveWindow {
  fromMs: number;
  toMs: number;
  frames: number;
  ips: number;
}

/** Joules per inference over the window so far; null while no basis meter has two samples in it. */
export function runningEnergy(
  meters: readonly LiveMeter[],
  idleGivenW: number | null,
  measured: LiveWindow | null,
): LiveEnergy | null {
  if (!measured || !(measured.ips > 0)) return null;
  const { basis } = energyBasis(
    meters.filter((m) => m.samples.length > 1).map((m) => ({ ...m, ...m.info })),
  );
  if (basis.length === 0) return null;
  const farm = farmWindow(
    basis.map((m) => ({
      ...powerStats(window(m.samples, measured.fromMs, measured.toMs)),
      idleW: m.idleW,
      fromMs: m.fromMs,
    })),
    measured,
    idleGivenW,
  );
  if (!farm) return null;
  const { avgW, idleW } = farm;
  return {
    seconds: (measured.toMs - measured.fromMs) / 1000,
    frames: measured.frames,
    ips: measured.ips,
    idleW,
    avgW,
    perInferenceJ: perInference(avgW, idleW, measured.ips)!,
    emulated: basis.some((m) => m.emulated),
  };
}

/** Hands out each meter's samples once, from the run's start on (the idle stretch stays out). */
export class PowerFeed {
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly meters: readonly (LiveMeter & { intervalMs: number })[],
    private readonly fromMs: number,
  ) {}

  /** New samples per meter, timed in seconds since `originMs` (the run's first frame). */
  next(originMs: number): LivePowerMeter[] {
    return this.meters.map((m) => {
      let i = this.sent.get(m.info.label) ?? 0;
      while (i < m.samples.length && m.samples[i]!.t < this.fromMs) i++;
      const fresh = m.samples.slice(i, i + LIVE_POWER_BATCH_MAX);
      this.sent.set(m.info.label, i + fresh.length);
      return {
        meter: m.info.label,
        emulated: m.info.emulated,
        idleW: m.idleW,
        intervalMs: m.intervalMs,
        samples: fresh.map((s) => [(s.t - originMs) / 1000, s.w] as [number, number]),
      };
    });
  }
}
