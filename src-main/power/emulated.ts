// Emulated power for farms without instruments: each device draws its profile's idle watts plus
// (full - idle) times its utilisation, which the run's metrics report. Every figure built on it
// is labelled emulated.
import type { RunMetrics } from '../contract/run';
import type { MeterInfo, MeterScope } from './meter';
import { PolledMeter } from './meter';
import type { Reading } from './sample';
import type { SessionMeter } from './session';

export interface EmulatedDevice {
  device: string;
  idleW: number;
  fullW: number;
}

/** The latest utilisation (0..1) of a device; undefined before its first metrics. */
export type UtilisationSource = (device: string) => number | undefined;

/** idle + (full - idle) x utilisation, utilisation clamped to 0..1. */
export function emulatedWatts(d: EmulatedDevice, utilisation: number | undefined): number {
  const u = Math.min(1, Math.max(0, utilisation ?? 0));
  return d.idleW + (d.fullW - d.idleW) * u;
}

export class EmulatedMeter extends PolledMeter {
  readonly info: MeterInfo;

  constructor(
    private readonly devices: readonly EmulatedDevice[],
    private readonly utilisation: UtilisationSource,
    scope: MeterScope = { kind: 'devices', devices: devices.map((d) => d.device) },
  ) {
    super();
    const what = devices.length === 1 ? devices[0]?.device : `${devices.length} devices`;
    this.info = {
      uri: `emulated://${devices.map((d) => d.device).join(',')}`,
      kind: 'emulated',
      label: `emulated@${what}`,
      scope,
      emulated: true,
      limits: { minMs: 10, maxMs: 60_000, defaultMs: 500 },
    };
  }

  async open(): Promise<void> {
    // Nothing to connect to.
  }

  async read(): Promise<Reading> {
    return {
      w: this.devices.reduce((s, d) => s + emulatedWatts(d, this.utilisation(d.device)), 0),
    };
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}

/**
 * Follows a run's metrics, so emulated meters draw what each device's utilisation says. A board
 * missing from the latest metrics has no part in the plan running (left out, or lost): it idles,
 * rather than drawing for the rest of the run the load it last had.
 */
export class UtilisationTracker {
  private latest = new Map<string, number>();

  observe(m: RunMetrics): void {
    this.latest = new Map(m.devices.map((d) => [d.device, d.utilisation]));
  }

  readonly source: UtilisationSource = (device) => this.latest.get(device);
}

/** How often an emulated board's meter reads its watts. */
const EMULATED_INTERVAL_MS = 250;

/**
 * A board's emulated meter; its idle watts are its profile's, exact, so a board that joins a run
 * mid-way (no idle stretch to measure) has them too.
 */
export function emulatedBoardMeter(
  d: EmulatedDevice,
  utilisation: UtilisationSource,
  intervalMs = EMULATED_INTERVAL_MS,
): SessionMeter {
  return { meter: new EmulatedMeter([d], utilisation), intervalMs, idleW: d.idleW };
}

/** One emulated meter per device, so an emulated farm has per-device figures like a metered one. */
export function emulatedFarmMeters(
  devices: readonly EmulatedDevice[],
  utilisation: UtilisationSource,
  intervalMs = EMULATED_INTERVAL_MS,
): SessionMeter[] {
  return devices.map((d) => emulatedBoardMeter(d, utilisation, intervalMs));
}
