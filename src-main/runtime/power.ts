// The power a run measures: the meters named by --meter (idle first, then sampled through the
// run on the coordinator's clock, power.csv and power.json in the run folder), or, on an emulated
// farm without meters, one emulated meter per board drawn from its profile's idle and full watts
// and its live utilisation (labelled emulated; their idle is exact, so a short idle suffices).
// A board that joins mid-run is measured from its join on: its emulated meter, or the --meter
// that names it alone (held back until it joins: before, the board was not in the run).
import { AppError } from '../contract/index';
import type { RunEnergy } from '../contract/energy';
import type { LivePower } from '../contract/livePower';
import type { RunMetrics } from '../contract/run';
import type { Logger } from '../log';
import type { Farm, FarmBoard } from '../planner/index';
import {
  emulatedBoardMeter,
  emulatedFarmMeters,
  monotonicClock,
  parseMeterUri,
  PowerFeed,
  PowerFlags,
  powerSessionFrom,
  runningEnergy,
  runEnergy,
  sessionMeters,
  startPowerSession,
  UtilisationTracker,
  type PowerSession,
  type SessionMeter,
} from '../power/index';
import type { Coordinator } from './coordinator';
import type { MeasuredWindow } from './stats';

export interface RunPower {
  /** Starts measuring once the farm is deployed, before the first frame. */
  start(c: Coordinator): Promise<void>;
  observe(m: RunMetrics): void;
  /** A board that joined the run (its re-plan gave it a chair): its meter from now on. */
  join(board: FarmBoard): void;
  /**
   * Stops every meter; the run's energy over its measured window (performance.now() ms, null when
   * the run was too short for one) and in all, or null when nothing was measured.
   */
  finish(measured: MeasuredWindow | null, inferences: number): Promise<RunEnergy | null>;
}

/** How often the Run view gets each meter's new samples: a few redraws a second, not one a sample. */
const LIVE_BATCH_MS = 250;

export function runPower(
  flags: PowerFlags | undefined,
  ctx: {
    runDir: string;
    log: Logger;
    farm: Farm;
    emulated: boolean;
    /** Receives the live samples and running J/inference every LIVE_BATCH_MS (the Run view). */
    live?: (p: Omit<LivePower, 'runId'>) => void;
  },
): RunPower {
  const clock = monotonicClock();
  const tracker = new UtilisationTracker();
  let coordinator: Coordinator | null = null;
  const flagged = flags ?? PowerFlags.parse({});
  const asEmulated = (d: FarmBoard) => ({
    device: d.id,
    idleW: d.profile.power.idleWatts,
    fullW: d.profile.power.fullWatts,
  });
  const devices = ctx.farm.devices.map(asEmulated);
  const { given, waiting } = heldBack(flagged, ctx.farm);
  for (const [device, uris] of waiting)
    ctx.log.info({ device, meters: uris }, 'meters wait for their board to join the run');
  const emulatedOnly = given.meter.length === 0 && ctx.emulated;
  const deps = {
    agents: async (device: string) => {
      if (!coordinator)
        throw new AppError('RUN_NOT_STARTED', 'agent:// meters are read once the run is deployed');
      return coordinator.powerConnector(clock)(device);
    },
  };
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
      ...deps,
      emulated: ctx.emulated ? emulatedFarmMeters(devices, tracker.source) : undefined,
    },
  );
  let session: PowerSession | null = null;
  let timer: NodeJS.Timeout | null = null;
  let flush: (() => void) | null = null;
  // The coordinator times frames by performance.now(); the session by its own clock.
  const sessionMs = (s: PowerSession, ms: number): number =>
    ms - (performance.now() - s.clock.now());
  const onClock = <W extends { fromMs: number; toMs: number }>(s: PowerSession, w: W): W => ({
    ...w,
    fromMs: sessionMs(s, w.fromMs),
    toMs: sessionMs(s, w.toMs),
  });
  const feed = (s: PowerSession, c: Coordinator, live: NonNullable<typeof ctx.live>) => {
    const samples = new PowerFeed(s.meters, s.runStartMs);
    return (): void => {
      // Samples are timed from the first frame, like the run's metrics: wait until it has gone.
      if (c.startedAtMs === 0) return;
      const meters = samples.next(sessionMs(s, c.startedAtMs));
      if (meters.every((m) => m.samples.length === 0)) return;
      const measured = c.measuredWindow();
      live({
        meters,
        energy: runningEnergy(s.meters, s.idleGivenW, measured && onClock(s, measured)),
      });
    };
  };
  return {
    start: async (c) => {
      coordinator = c;
      if (!opts) return;
      session = await startPowerSession(opts);
      if (!ctx.live) return;
      flush = feed(session, c, ctx.live);
      timer = setInterval(flush, LIVE_BATCH_MS);
    },
    observe: (m) => tracker.observe(m),
    join: (board) => {
      const s = session;
      if (!s) return;
      const not = (label: string, err: Error) =>
        ctx.log.warn(
          { device: board.id, meter: label, err: err.message },
          'joined board not metered',
        );
      let meters: SessionMeter[];
      try {
        const ms = given.meterInterval === undefined ? undefined : given.meterInterval * 1000;
        meters = emulatedOnly
          ? [emulatedBoardMeter(asEmulated(board), tracker.source)]
          : sessionMeters(waiting.get(board.id) ?? [], ms, deps);
      } catch (err) {
        // The join's re-plan goes on whatever its meter does.
        not(board.id, err as Error);
        return;
      }
      // A meter still opening when the run ends is closed by the session, never measured.
      for (const m of meters)
        s.add(m).then(
          () =>
            ctx.log.info({ device: board.id, meter: m.meter.info.label }, 'joined board metered'),
          (err: Error) => not(m.meter.info.label, err),
        );
    },
    finish: async (measured, inferences) => {
      const s = session;
      session = null;
      if (timer) clearInterval(timer);
      timer = null;
      if (!s) return null;
      const summary = await s.stop(measured && onClock(s, measured));
      // The last samples (one past the end) and the run's final window: the Run view ends on the
      // figures run.json holds.
      flush?.();
      flush = null;
      return runEnergy(summary, measured, inferences);
    },
  };
}

/**
 * The --meter URIs that wait for a board to join: those naming only boards the run does not have
 * at its start (a plug or rails on a board that will join). Measured from the start they would
 * count a board that is not in the run. Kept all when none would be left to start the run with.
 */
function heldBack(
  flags: PowerFlags,
  farm: Farm,
): { given: PowerFlags; waiting: Map<string, string[]> } {
  const has = new Set(farm.devices.map((d) => d.id));
  const waits = (uri: string): string[] => {
    const { scope } = parseMeterUri(uri);
    return scope.kind === 'devices' && !scope.devices.some((d) => has.has(d)) ? scope.devices : [];
  };
  const now = flags.meter.filter((uri) => waits(uri).length === 0);
  const waiting = new Map<string, string[]>();
  if (now.length === 0) return { given: flags, waiting };
  for (const uri of flags.meter)
    for (const d of waits(uri)) waiting.set(d, [...(waiting.get(d) ?? []), uri]);
  return { given: { ...flags, meter: now }, waiting };
}
