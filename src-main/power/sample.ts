// What a meter reports: one PowerSample per reading, timed on the session's clock, and the checks
// that turn an instrument's garbage (NAN, INF, negative watts, unparsable text) into one line the
// user can act on instead of a NaN that poisons every average downstream.
import { AppError } from '../contract/index';

/** One reading of one meter. */
export interface PowerSample {
  /** Milliseconds on the session clock (see clock.ts). */
  t: number;
  /** Watts. */
  w: number;
  /** Volts and amps, when the instrument reports them. */
  v?: number;
  a?: number;
}

/** A reading before it is timed. */
export type Reading = Omit<PowerSample, 't'>;

export class MeterGarbageError extends AppError {
  constructor(meter: string, what: string) {
    super('METER_GARBAGE', `${meter}: ${what}`);
  }
}

/** Parses one numeric field the instrument sent; NAN/INF and non-numbers are refused. */
export function meterNumber(meter: string, field: string, raw: unknown): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (typeof raw === 'string' && /^\s*[-+]?(nan|inf)/i.test(raw)) {
    // Yokogawa and R&S send NAN for "no data yet" and INF for over-range.
    throw new MeterGarbageError(
      meter,
      `${field} is ${raw.trim()} (no data or over-range: check the range and wiring)`,
    );
  }
  if (!Number.isFinite(value) || (typeof raw === 'string' && raw.trim() === '')) {
    throw new MeterGarbageError(
      meter,
      `${field} is not a number: ${JSON.stringify(raw)?.slice(0, 60)}`,
    );
  }
  return value;
}

/** Builds a Reading from watts, or from volts and amps when watts are not reported. */
export function reading(meter: string, fields: { w?: unknown; v?: unknown; a?: unknown }): Reading {
  const given = fields.w === undefined ? undefined : meterNumber(meter, 'watts', fields.w);
  const v = fields.v === undefined ? undefined : meterNumber(meter, 'volts', fields.v);
  const a = fields.a === undefined ? undefined : meterNumber(meter, 'amps', fields.a);
  let w: number;
  if (given !== undefined) w = given;
  else if (v !== undefined && a !== undefined) w = v * a;
  else throw new MeterGarbageError(meter, 'reported neither watts nor volts and amps');
  // A small negative reading is offset noise on an idle DC channel; a large one is wiring.
  if (w < -0.5)
    throw new MeterGarbageError(meter, `negative power ${w} W (current clamp or shunt reversed?)`);
  const r: Reading = { w: Math.max(0, w) };
  if (v !== undefined) r.v = v;
  if (a !== undefined) r.a = a;
  return r;
}
