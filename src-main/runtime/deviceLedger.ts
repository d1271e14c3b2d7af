// What each board did over a run, from its telemetry (once a second): the live per-device
// figures the UI charts, and the run's totals per device (utilisation, compute ms a frame, bytes,
// emulation overruns) for the run's record.
import { type Telemetry } from '../../remote-agent/src/protocol/index';
import type { DeviceMetrics } from '../contract/index';
import type { Board } from '../shared/board';
import type { BoardSummary } from './runTypes';

interface BoardTotals {
  frames: number;
  computeMs: number;
  busyMs: number;
  bytesIn: number;
  bytesOut: number;
  wallMs: number;
  overruns: number;
}

export class DeviceLedger {
  private readonly totals = new Map<string, BoardTotals>();
  private readonly lastDevice = new Map<string, DeviceMetrics>();

  /** A board's latest figures, for a second it did not answer. */
  last(id: string): DeviceMetrics | undefined {
    return this.lastDevice.get(id);
  }

  /** Adds one telemetry answer to the board's totals; its figures over that interval. */
  account(a: Board, t: Telemetry): DeviceMetrics {
    const tot: BoardTotals = this.totals.get(a.id) ?? {
      frames: 0,
      computeMs: 0,
      busyMs: 0,
      bytesIn: 0,
      bytesOut: 0,
      wallMs: 0,
      overruns: 0,
    };
    let frames = 0;
    let computeMs = 0;
    let busyMs = 0;
    for (const p of t.parts) {
      frames += p.frames;
      computeMs += p.computeMs;
      busyMs += p.busyMs;
      tot.bytesIn += p.bytesIn;
      tot.bytesOut += p.bytesOut;
      tot.overruns += p.overruns;
    }
    tot.frames += frames;
    tot.computeMs += computeMs;
    tot.busyMs += busyMs;
    tot.wallMs += t.intervalMs;
    this.totals.set(a.id, tot);
    const m: DeviceMetrics = {
      device: a.id,
      fps: t.intervalMs > 0 ? (frames * 1000) / t.intervalMs : 0,
      utilisation: t.intervalMs > 0 ? Math.min(1, busyMs / t.intervalMs) : 0,
      // On an emulated board the time that counts is the profile's (busy), not this machine's.
      computeMs: frames > 0 ? (t.emulated ? busyMs : computeMs) / frames : 0,
      emulated: t.emulated,
    };
    this.lastDevice.set(a.id, m);
    return m;
  }

  /** The run's totals for each of `agents`. */
  summaries(agents: readonly Board[]): BoardSummary[] {
    return agents.map((a) => {
      const t = this.totals.get(a.id);
      return {
        id: a.id,
        profile: a.profile,
        utilisation: t && t.wallMs > 0 ? Math.min(1, t.busyMs / t.wallMs) : 0,
        computeMs: t && t.frames > 0 ? (a.profile !== null ? t.busyMs : t.computeMs) / t.frames : 0,
        bytesIn: t?.bytesIn ?? 0,
        bytesOut: t?.bytesOut ?? 0,
        emulated: a.profile !== null,
      };
    });
  }

  /** Frames emulated boards computed slower than their profile, over the run. */
  overruns(): number {
    return [...this.totals.values()].reduce((a, t) => a + t.overruns, 0);
  }
}
