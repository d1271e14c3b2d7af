// Fitting a device's profile to what it measured (`mchair profile`): each measurement is one
// whole model run on the device alone. A frame's time splits, at the base profile's speeds, into
// spatial work (conv, pooling, elementwise), fully connected work (gemm: weight streaming) and a
// fixed part (per-layer dispatch; messages when the figure includes them). Least squares finds
// how much faster or slower than the base each of the two kinds of work runs on this device.
import { type DeviceProfile, mapOpSpeeds, type OpSpeed } from './profile';
import { CostModel } from './cost';
import { analyseChain, opClass, type PlannerModel } from './layers';
import type { Device } from './farm';

export interface Measurement {
  readonly model: PlannerModel;
  /** Seconds per frame the device spent on the whole model. */
  readonly seconds: number;
}

export interface FittedProfile {
  readonly profile: DeviceProfile;
  /** Speed relative to the base profile (2 = twice as fast). */
  readonly scale: { readonly spatial: number; readonly gemm: number };
  /** What the fitted profile predicts for each measurement, in order. */
  readonly predicted: readonly number[];
}

interface Split {
  spatial: number;
  gemm: number;
  fixed: number;
}

function split(device: Device, m: PlannerModel, withMessages: boolean): Split {
  const cost = new CostModel(analyseChain(m));
  const p = device.profile;
  const s: Split = { spatial: 0, gemm: 0, fixed: 0 };
  for (let i = 0; i < cost.layerCount; i++) {
    const t = cost.layerSeconds(p, i);
    if (t === 0) continue;
    s.fixed += p.layerSec;
    if (opClass(m.layers[i]!) === 'gemm') s.gemm += t - p.layerSec;
    else s.spatial += t - p.layerSec;
  }
  if (withMessages) s.fixed += cost.partCost(device, 0, cost.layerCount).ioSec;
  return s;
}

const scaled = (o: OpSpeed, k: number): OpSpeed => ({
  macsPerSec: o.macsPerSec * k,
  bytesPerSec: o.bytesPerSec * k,
  ...(o.spillBytes !== undefined ? { spillBytes: o.spillBytes } : {}),
  ...(o.spillBytesPerSec !== undefined ? { spillBytesPerSec: o.spillBytesPerSec * k } : {}),
});

export interface FitOptions {
  /** The measured seconds include receiving and sending the frame (an emulated board's do). */
  readonly withMessages: boolean;
  /** Measured on a real board, or on an emulated one (which only gives its profile back). */
  readonly basis: DeviceProfile['basis'];
  /** Where the figures come from, kept as the profile's calibration note. */
  readonly note: string;
}

/**
 * The device's profile fitted to its measurements. With one measurement, or when the two kinds
 * of work cannot be told apart, both scale together.
 */
export function fitProfile(
  device: Device,
  measurements: readonly Measurement[],
  opts: FitOptions,
): FittedProfile {
  const withMessages = opts.withMessages;
  const rows = measurements.map((m) => ({ ...split(device, m.model, withMessages), t: m.seconds }));
  // Solve t - fixed = spatial * u + gemm * v for u, v (inverse speed-ups) by least squares.
  let [saa, sab, sbb, sat, sbt] = [0, 0, 0, 0, 0];
  for (const r of rows) {
    const y = r.t - r.fixed;
    saa += r.spatial * r.spatial;
    sab += r.spatial * r.gemm;
    sbb += r.gemm * r.gemm;
    sat += r.spatial * y;
    sbt += r.gemm * y;
  }
  const det = saa * sbb - sab * sab;
  let u = det > 1e-12 * saa * sbb ? (sat * sbb - sbt * sab) / det : NaN;
  let v = det > 1e-12 * saa * sbb ? (saa * sbt - sab * sat) / det : NaN;
  if (!(u > 0 && v > 0)) {
    const work = rows.reduce((a, r) => a + r.spatial + r.gemm, 0);
    u = v = Math.max(1e-3, rows.reduce((a, r) => a + r.t - r.fixed, 0) / work);
  }
  const base = device.profile;
  const profile: DeviceProfile = {
    ...base,
    id: `${base.id}-measured`.slice(0, 40),
    basis: opts.basis,
    calibration: opts.note,
    ops: mapOpSpeeds(base.ops, (o, cls) => scaled(o, cls === 'gemm' ? 1 / v : 1 / u)),
  };
  const predicted = rows.map((r) => r.spatial * u + r.gemm * v + r.fixed);
  return { profile, scale: { spatial: 1 / u, gemm: 1 / v }, predicted };
}
