// The power a run measures: the meters named by --meter (idle first, then sampled through the
// run on the coordinator's clock, power.csv and power.json in the run folder), or, on an emulated
// farm without meters, one emulated meter per board drawn from its profile's idle and full watts
// and its live utilisation (labelled emulated; their idle is exact, so a short idle suffices).
import { AppError } from '../contract/index';
import type { RunEnergy } from '../contract/energy';
import type { RunMetrics } from '../contract/run';
import type { Logger } from '../log';
import type { Farm } from '../planner/index';
import {
  emulatedFarmMeters,
  monotonicClock,
  PowerFlags,
  powerSessionFrom,
  runEnergy,
  startPowerSession,
  UtilisationTracker,
  type PowerSession,
} from '../power/index';
import type { Coordinator } from './coordinator';
import type { MeasuredWindow } from './stats';

export interface RunPower {
  /** Starts measuring once the farm is deployed, before the first frame. */
  start(c: Coordinator): Promise<void>;
  observe(m: RunMetrics): void;
  /**
   * Stops every meter; the run's energy over its measured window (performance.now() ms, null when
   * the run was too short for one) and in all, or null when nothing was measured.
   */
  finish(measured: MeasuredWindow | null, inferences: number): Promise<RunEnergy | null>;
}

export function runPower(
  flags: PowerFlags | undefined,
  ctx: { runDir: string; log: Logger; farm: Farm; emulated: boolean },
): RunPower {
  const clock = monotonicClock();
  const tracker = new UtilisationTracker();
  let coordinator: Coordinator | null = null;
  const given = flags ?? PowerFlags.parse({});
  const devices = ctx.farm.devices.map((d) => ({
    device: d.id,
    idleW: d.profile.power.idleWatts,
    fullW: d.profile.power.fullWatts,
  }));
  const emulatedOnly = given.meter.length === 0 && ctx.emulated;
  const opts = powerSessionFrom(
    emulatedOnly && given.idleSeconds === undefined && given.idleWatts === undefined
      ? // Emulated meters read exactly their idle watts before the first metrics: half a second
        // of idle is enough, where a real instrument needs the default five.
        { ...given, idleSeconds: 0.5 }
      : given,
    {
      runDir: ctx.runDir,
      clock,
      log: ctx.log,
      agents: async (device) => {
        if (!coordinator)
          throw new AppError(
            'RUN_NOT_STARTED',
            'agent:// meters are read once the run is deployed',
          );
        return coordinator.powerConnector(clock)(device);
      },
      emulated: ctx.emulated ? emulatedFarmMeters(devices, tracker.source) : undefined,
    },
  );
  let session: PowerSession | null = null;
  return {
    start: async (c) => {
      coordinator = c;
      if (opts) session = await startPowerSession(opts);
    },
    observe: (m) => tracker.observe(m),
    finish: async (measured, inferences) => {
      const s = session;
      session = null;
      if (!s) return null;
      // The coordinator times frames by performance.now(); the session by its own clock.
      const offset = performance.now() - s.clock.now();
      const onClock = measured && {
        fromMs: measured.fromMs - offset,
        toMs: measured.toMs - offset,
      };
      return runEnergy(await s.stop(onClock), measured, inferences);
    },
  };
}
