// The power flags a run takes (`--meter URI` repeatable, `--idle-seconds S`, `--idle-watts W`,
// `--meter-interval S`), in one place so `mchair run` and any other command that measures a run
// add them with one call and get the same checks and messages.
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '../contract/index';
import type { Clock } from './clock';
import type { Logger } from '../log';
import type { MeterDeps } from './open';
import {
  DEFAULT_IDLE_SECONDS,
  sessionMeters,
  type PowerSessionOptions,
  type SessionMeter,
} from './session';
import { parseMeterUri } from './uri';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function withPowerOptions(cmd: Command): Command {
  return cmd
    .option(
      '--meter <uri>',
      'a power meter to read through the run (repeatable): scpi+wt300://host:port, shelly://host, kasa://host?device=pi-1, agent://tx2, ...',
      collect,
      [],
    )
    .option(
      '--idle-seconds <s>',
      `seconds of idle power measured before the run (default ${DEFAULT_IDLE_SECONDS})`,
    )
    .option(
      '--idle-watts <w>',
      "the farm's idle watts, instead of measuring them (with --idle-seconds 0)",
    )
    .option('--meter-interval <s>', "sample interval, within each meter's limits");
}

const Num = (what: string) =>
  z.coerce.number({ message: `must be ${what}` }).finite(`must be ${what}`);

export const PowerFlags = z.object({
  meter: z.array(z.string()).default([]),
  idleSeconds: Num('a number of seconds').min(0, 'must be 0 or more').optional(),
  idleWatts: Num('a number of watts').min(0, 'must be 0 or more').optional(),
  meterInterval: Num('a number of seconds').positive('must be more than 0').optional(),
});
export type PowerFlags = z.infer<typeof PowerFlags>;

/**
 * The session options for a run's flags, or null when the run is not metered. `emulated` meters
 * (an emulated farm's profiles) are used when no --meter is given.
 */
export function powerSessionFrom(
  flags: PowerFlags,
  ctx: { runDir: string; clock?: Clock; log?: Logger; emulated?: SessionMeter[] } & MeterDeps,
): PowerSessionOptions | null {
  // Parse every URI up front so a typo fails before the farm is started.
  for (const uri of flags.meter) parseMeterUri(uri);
  if (flags.idleWatts !== undefined && flags.idleSeconds === undefined)
    flags = { ...flags, idleSeconds: 0 };
  if (flags.idleSeconds !== undefined && flags.idleSeconds > 0 && flags.idleWatts !== undefined) {
    throw new InputError(
      '--idle-watts: give either measured idle (--idle-seconds S) or given idle watts, not both',
    );
  }
  const meters = flags.meter.length
    ? sessionMeters(
        flags.meter,
        flags.meterInterval === undefined ? undefined : flags.meterInterval * 1000,
        ctx,
      )
    : (ctx.emulated ?? []);
  if (meters.length === 0) {
    if (
      flags.idleSeconds !== undefined ||
      flags.idleWatts !== undefined ||
      flags.meterInterval !== undefined
    ) {
      throw new InputError('--meter: idle and interval flags need at least one --meter');
    }
    return null;
  }
  const opts: PowerSessionOptions = { meters, runDir: ctx.runDir };
  if (flags.idleSeconds !== undefined) opts.idleSeconds = flags.idleSeconds;
  if (flags.idleWatts !== undefined) opts.idleWatts = flags.idleWatts;
  if (ctx.clock) opts.clock = ctx.clock;
  if (ctx.log) opts.log = ctx.log;
  return opts;
}
