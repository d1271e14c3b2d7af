// A run's power session: open every meter, measure idle power first (or take the idle watts the
// user gives), then sample all meters on the run's clock until the run stops, writing power.csv
// (samples) and power.json (the summary) into the run's folder. The run coordinator calls
// startPowerSession before the first frame and stop() after the last; runEnergy then turns the
// summary and the run's inference count into the paper's per-inference figures.
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, InputError } from '../contract/index';
import type { MeterEnergy, RunEnergy } from '../contract/energy';
import { writeFileAtomic } from '../store/atomic';
import type { Logger } from '../log';
import { monotonicClock, sleep, type Clock } from './clock';
import { findGaps, perInference, powerStats, window } from './energy';
import { energyBasis, farmWindow, shareOfWindow, type LiveMeter } from './live';
import { resolveInterval, type Meter } from './meter';
import { meterFor, type MeterDeps } from './open';
import { PowerCsvWriter } from './powercsv';
import { MeterGarbageError, type PowerSample } from './sample';
import type { MeterPower, PowerSummary } from './summary';
import { parseMeterUri } from './uri';

export type { MeterPower, PowerSummary } from './summary';

export const DEFAULT_IDLE_SECONDS = 5;
/** Fresh starts a failing meter gets in a row before it is given up. */
const REOPEN_ATTEMPTS = 3;

export interface SessionMeter {
  meter: Meter;
  /** Interval asked of this meter; its instrument's default when absent. */
  intervalMs?: number;
  /**
   * Its idle watts when known without measuring them (an emulated board's profile). A meter added
   * mid-run has no idle stretch to measure: without this its idle is unknown (null).
   */
  idleW?: number;
}

export interface PowerSessionOptions {
  meters: readonly SessionMeter[];
  /** Seconds of idle measurement before the run (default 5); 0 requires idleWatts. */
  idleSeconds?: number;
  /** The farm's idle watts, when known instead of measured. */
  idleWatts?: number;
  /** Where power.csv and power.json go; nothing is written when absent. */
  runDir?: string;
  /** The run's clock, so samples and run events line up; a new one when absent. */
  clock?: Clock;
  log?: Logger;
}

export interface PowerSession {
  readonly clock: Clock;
  readonly runStartMs: number;
  /** Idle watts per meter label (null where only the farm's idle was given). */
  readonly idle: ReadonlyMap<string, number | null>;
  /** Samples so far, per meter label (for live charts). */
  readonly samples: ReadonlyMap<string, readonly PowerSample[]>;
  /**
   * Every meter with its idle watts and its samples so far (the arrays grow as they arrive, and
   * the list as meters are added).
   */
  readonly meters: readonly (LiveMeter & { intervalMs: number })[];
  /** The farm's idle watts as the user gave them, else null. */
  readonly idleGivenW: number | null;
  /**
   * Measures one more meter from now on (a board that joined the run): it has no sample before
   * now and its idle is its SessionMeter.idleW, else unknown. A label measured already, or a
   * session stopping, adds nothing; a meter that cannot be opened rejects, the others go on.
   */
  add(m: SessionMeter): Promise<void>;
  /** Stops every meter; `measured` is the run's measured window on this session's clock. */
  stop(measured?: { fromMs: number; toMs: number } | null): Promise<PowerSummary>;
}

/** Builds session meters from URIs; a URI's `interval=` wins over the common one. */
export function sessionMeters(
  uris: readonly string[],
  intervalMs?: number,
  deps: MeterDeps = {},
): SessionMeter[] {
  return uris.map((uri) => {
    const spec = parseMeterUri(uri);
    const ms = spec.intervalMs ?? intervalMs;
    return ms === undefined
      ? { meter: meterFor(spec, deps) }
      : { meter: meterFor(spec, deps), intervalMs: ms };
  });
}

interface Channel {
  meter: Meter;
  intervalMs: number;
  /** When it joined the session's run (the run's start for the meters it started with). */
  fromMs: number;
  /** When its samples ended before the session stopped (given up, a log read out); else null. */
  endedMs: number | null;
  /**
   * Samples stamped earlier are left out: a meter added mid-run may report times before its join
   * (a log, an agent's own stamps), when its board was not in the run.
   */
  keepFromMs: number;
  samples: PowerSample[];
  garbage: number;
  error: string | null;
  /** Set when the meter's samples ended (a log read to its end, a failure, the stop). */
  finished: boolean;
  done: Promise<void>;
}

/** The idle measurement's length, once the options are checked: each fault names its flag. */
function checkedIdleSeconds(opts: PowerSessionOptions): number {
  const idleSeconds = opts.idleSeconds ?? (opts.idleWatts === undefined ? DEFAULT_IDLE_SECONDS : 0);
  if (!(idleSeconds >= 0)) throw new InputError('--idle-seconds: must be 0 or more');
  if (opts.idleWatts !== undefined && !(opts.idleWatts >= 0 && Number.isFinite(opts.idleWatts)))
    throw new InputError('--idle-watts: must be a number of watts, 0 or more');
  if (idleSeconds === 0 && opts.idleWatts === undefined)
    throw new InputError("--idle-seconds 0 needs --idle-watts W (the farm's idle power)");
  if (opts.meters.length === 0) throw new InputError('a power session needs at least one meter');
  const labels = new Set<string>();
  for (const { meter } of opts.meters) {
    if (labels.has(meter.info.label))
      throw new InputError(`meter ${meter.info.label} is listed twice`);
    labels.add(meter.info.label);
  }
  return idleSeconds;
}

/**
 * Reads one meter's samples into its channel until the signal stops it: a garbled reading is
 * counted and skipped, a failure gets REOPEN_ATTEMPTS fresh starts before the meter is given up.
 */
async function pump(
  ch: Channel,
  o: {
    clock: Clock;
    signal: AbortSignal;
    csv: PowerCsvWriter | undefined;
    log: Logger | undefined;
  },
): Promise<void> {
  const label = ch.meter.info.label;
  let failures = 0;
  while (!o.signal.aborted) {
    try {
      for await (const s of ch.meter.samples({
        intervalMs: ch.intervalMs,
        clock: o.clock,
        signal: o.signal,
      })) {
        if (s.t < ch.keepFromMs) continue;
        ch.samples.push(s);
        o.csv?.add(label, s);
        failures = 0;
      }
      return;
    } catch (e) {
      const why = e instanceof AppError ? e.message : `${label}: ${(e as Error).message}`;
      if (e instanceof MeterGarbageError) {
        // One bad reading is left out and counted; the gap it leaves is flagged in the report.
        ch.garbage++;
        o.log?.warn({ meter: label, err: why }, 'meter reading refused');
        await sleep(ch.intervalMs, o.signal);
        continue;
      }
      // A dropped connection or a missed reply (a plug on busy Wi-Fi) gets a few fresh starts
      // before the meter is given up for the rest of the run.
      let last = why;
      for (;;) {
        if (++failures > REOPEN_ATTEMPTS) {
          ch.error = last;
          o.log?.warn({ meter: label, err: last }, 'meter stopped');
          return;
        }
        o.log?.warn({ meter: label, err: last, attempt: failures }, 'meter failed; reopening');
        await ch.meter.close().catch(() => undefined);
        await sleep(ch.intervalMs * failures, o.signal);
        if (o.signal.aborted) return;
        try {
          await ch.meter.open(ch.intervalMs);
          break;
        } catch (err) {
          last = err instanceof AppError ? err.message : `${label}: ${(err as Error).message}`;
        }
      }
    }
  }
}

/** A meter opened as a channel; `joinedMs`: when one added mid-run joined (else it keeps all). */
async function openChannel(m: SessionMeter, joinedMs?: number): Promise<Channel> {
  const intervalMs = resolveInterval(m.meter.info, m.intervalMs);
  await m.meter.open(intervalMs);
  return {
    meter: m.meter,
    intervalMs,
    // The meters a session starts with join the run at its start, set once idle is over.
    fromMs: joinedMs ?? 0,
    endedMs: null,
    keepFromMs: joinedMs ?? -Infinity,
    samples: [],
    garbage: 0,
    error: null,
    finished: false,
    done: Promise.resolve(),
  };
}

/** Each meter's idle watts over the idle stretch into `idle`; the error when one has none. */
function idleOf(
  channels: readonly Channel[],
  w: { fromMs: number; toMs: number; idleSeconds: number },
  idle: Map<string, number | null>,
): AppError | null {
  for (const ch of channels) {
    const during = window(ch.samples, w.fromMs, w.toMs);
    if (ch.error || during.length === 0)
      return new AppError(
        'IDLE_UNMEASURED',
        ch.error ??
          `${ch.meter.info.label}: no samples in ${w.idleSeconds} s of idle; lengthen --idle-seconds or give --idle-watts`,
      );
    idle.set(ch.meter.info.label, powerStats(during).avgW);
  }
  return null;
}

export async function startPowerSession(opts: PowerSessionOptions): Promise<PowerSession> {
  const clock = opts.clock ?? monotonicClock();
  const idleSeconds = checkedIdleSeconds(opts);

  const channels: Channel[] = [];
  const abort = new AbortController();
  // Every meter's sampling loop and sleep listens to this one signal: a farm of 12 boards has
  // 12 emulated meters, past Node's default of 10 listeners (a leak warning on the terminal).
  const listeners = (meters: number) => setMaxListeners(4 * meters + 10, abort.signal);
  listeners(opts.meters.length);
  try {
    for (const m of opts.meters) channels.push(await openChannel(m));
  } catch (e) {
    await Promise.all(opts.meters.map((m) => m.meter.close().catch(() => undefined)));
    throw e;
  }
  const csv = opts.runDir ? new PowerCsvWriter(join(opts.runDir, 'power.csv')) : undefined;
  const log = opts.log;

  const idleStart = clock.now();
  const pumping = { clock, signal: abort.signal, csv, log };
  const sample = (ch: Channel): void => {
    ch.done = pump(ch, pumping).finally(() => {
      ch.finished = true;
      // A meter that ended before the run did (given up, a log read to its end) covered the run
      // until its last sample.
      if (!abort.signal.aborted) ch.endedMs = ch.samples[ch.samples.length - 1]?.t ?? clock.now();
    });
  };
  for (const ch of channels) sample(ch);

  const idle = new Map<string, number | null>();
  const closeAll = async (): Promise<void> => {
    abort.abort();
    await Promise.all(channels.map((c) => c.done));
    await Promise.all(channels.map((c) => c.meter.close().catch(() => undefined)));
    await csv?.close();
  };
  if (idleSeconds > 0) {
    await delay(idleSeconds * 1000);
    const unmeasured = idleOf(
      channels,
      { fromMs: idleStart, toMs: clock.now(), idleSeconds },
      idle,
    );
    if (unmeasured) {
      await closeAll();
      throw unmeasured;
    }
  } else {
    // The given idle watts are the farm's; they belong to one meter only when there is one.
    for (const ch of channels)
      idle.set(ch.meter.info.label, channels.length === 1 ? (opts.idleWatts ?? null) : null);
  }
  const runStartMs = clock.now();
  for (const ch of channels) ch.fromMs = runStartMs;

  const samples = new Map(channels.map((c) => [c.meter.info.label, c.samples]));
  const live = (c: Channel) => ({
    info: c.meter.info,
    idleW: idle.get(c.meter.info.label) ?? null,
    samples: c.samples,
    intervalMs: c.intervalMs,
    fromMs: c.fromMs,
  });
  const meters = channels.map(live);
  return {
    clock,
    runStartMs,
    idle,
    samples,
    meters,
    idleGivenW: opts.idleWatts ?? null,
    async add(m) {
      const label = m.meter.info.label;
      if (abort.signal.aborted || samples.has(label)) return;
      // Held before the open, so a second add of the same label while this one opens adds nothing.
      samples.set(label, []);
      let ch: Channel;
      try {
        ch = await openChannel(m, clock.now());
      } catch (e) {
        samples.delete(label);
        throw e;
      }
      // The session stopped while the meter opened: it would never be closed.
      if (abort.signal.aborted) {
        await m.meter.close().catch(() => undefined);
        return;
      }
      ch.samples = samples.get(label) as PowerSample[];
      idle.set(label, m.idleW ?? null);
      channels.push(ch);
      listeners(channels.length);
      meters.push(live(ch));
      sample(ch);
    },
    async stop(measured = null): Promise<PowerSummary> {
      const runEndMs = clock.now();
      // Wait for one sample past the end on every live meter, so the run's last stretch is
      // interpolated rather than cut at the last sample before it.
      const deadline = runEndMs + 2 * Math.max(...channels.map((c) => c.intervalMs)) + 3000;
      while (
        clock.now() < deadline &&
        channels.some(
          (c) => !c.finished && (c.samples[c.samples.length - 1]?.t ?? -Infinity) < runEndMs,
        )
      ) {
        await delay(5);
      }
      await closeAll();
      const summary: PowerSummary = {
        runStartMs,
        runEndMs,
        window: measured,
        idleSeconds,
        idleGivenW: opts.idleWatts ?? null,
        meters: channels.map((ch) => meterPower(ch, idle, { runStartMs, runEndMs, measured })),
      };
      if (opts.runDir)
        await writeFileAtomic(
          join(opts.runDir, 'power.json'),
          `${JSON.stringify(summary, null, 2)}\n`,
        );
      return summary;
    },
  };
}

/** One meter's part of power.json: its run, its measured window, and the stretch it covered. */
function meterPower(
  ch: Channel,
  idle: ReadonlyMap<string, number | null>,
  o: { runStartMs: number; runEndMs: number; measured: { fromMs: number; toMs: number } | null },
): MeterPower {
  const run = window(ch.samples, o.runStartMs, o.runEndMs);
  const { uri, kind, label, scope, emulated } = ch.meter.info;
  const ofRun = (ms: number) => (ms - o.runStartMs) / 1000;
  return {
    info: { uri, kind, label, scope, emulated },
    intervalMs: ch.intervalMs,
    idleW: idle.get(label) ?? null,
    run: powerStats(run),
    window: o.measured ? powerStats(window(ch.samples, o.measured.fromMs, o.measured.toMs)) : null,
    covered: {
      fromS: ofRun(ch.fromMs),
      toS: ofRun(Math.max(ch.fromMs, Math.min(ch.endedMs ?? o.runEndMs, o.runEndMs))),
    },
    gaps: findGaps(run, ch.intervalMs).map((g) => ({
      fromS: g.fromS - o.runStartMs / 1000,
      toS: g.toS - o.runStartMs / 1000,
    })),
    garbage: ch.garbage,
    error: ch.error,
  };
}

/**
 * The run's energy from its power summary and what it measured: per inference over the measured
 * window (`measured`: its inferences and IPS; the paper's method: static = idle W / IPS, dynamic
 * = (average W - idle W) / IPS), and the whole run's energy beside it (deploy, warm-up and fill
 * included) under its own name. The farm figure comes from a meter on the whole farm when there is
 * one (an instrument before an emulation), else from the sum of the per-device meters.
 */
export function runEnergy(
  summary: PowerSummary,
  measured: { frames: number; ips: number } | null,
  inferences: number,
): RunEnergy {
  const durationS = (summary.runEndMs - summary.runStartMs) / 1000;
  const win = measured && summary.window;
  // Session-clock ms a meter joined the run; records from before joins had every meter from 0.
  const joinedMs = (m: { covered?: { fromS: number } | undefined }) =>
    summary.runStartMs + (m.covered?.fromS ?? 0) * 1000;
  const meters: MeterEnergy[] = summary.meters.map((m) => {
    const w = measured && m.window && m.window.samples > 1 ? m.window : null;
    // A board that joined part-way answers for its joules in the window, over all its inferences.
    const share = win ? shareOfWindow(joinedMs(m), win) : 1;
    return {
      meter: m.info.label,
      uri: m.info.uri,
      kind: m.info.kind,
      scope: m.info.scope,
      emulated: m.info.emulated,
      intervalMs: m.intervalMs,
      idleW: m.idleW,
      avgW: m.run.avgW,
      minW: m.run.minW,
      maxW: m.run.maxW,
      energyJ: m.run.energyJ,
      durationS: m.run.durationS,
      samples: m.run.samples,
      window: w
        ? { avgW: w.avgW, energyJ: w.energyJ, seconds: w.durationS, samples: w.samples }
        : null,
      ...(m.covered ? { covered: m.covered } : {}),
      perInferenceJ:
        w && m.idleW !== null ? perInference(w.avgW * share, m.idleW * share, measured!.ips) : null,
      gaps: m.gaps,
      garbage: m.garbage,
      error: m.error,
    };
  });
  const usable = meters.filter((m) => m.samples > 1);
  const { basis, farmMeter } = energyBasis(usable);
  if (basis.length === 0)
    throw new AppError(
      'NO_POWER',
      'no meter recorded two samples during the run; it was shorter than the sample interval or every meter failed',
    );
  const energyJ = basis.reduce((s, m) => s + m.energyJ, 0);
  const farm =
    win &&
    farmWindow(
      basis.map((m) => ({
        avgW: m.window?.avgW ?? 0,
        samples: m.window?.samples ?? 0,
        idleW: m.idleW,
        fromMs: joinedMs(m),
      })),
      win,
      summary.idleGivenW,
    );
  const idleW = farm
    ? farm.idleW
    : (summary.idleGivenW ?? basis.reduce((s, m) => s + (m.idleW ?? 0), 0));
  const w =
    measured && win && farm
      ? {
          seconds: (win.toMs - win.fromMs) / 1000,
          frames: measured.frames,
          ips: measured.ips,
          avgW: farm.avgW,
          energyJ: basis.reduce((s, m) => s + (m.window?.energyJ ?? 0), 0),
        }
      : null;
  return {
    idleW,
    window: w,
    perInferenceJ: w ? perInference(w.avgW, idleW, w.ips) : null,
    inferencesPerJ: w && w.avgW > 0 ? w.ips / w.avgW : null,
    wholeRun: {
      seconds: durationS,
      inferences,
      avgW: durationS > 0 ? energyJ / durationS : basis.reduce((s, m) => s + m.avgW, 0),
      energyJ,
    },
    emulated: basis.some((m) => m.emulated),
    basis: farmMeter ? 'farm-meter' : 'device-meters',
    meters,
  };
}
