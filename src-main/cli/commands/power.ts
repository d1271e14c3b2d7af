// `mchair power read --meter URI [--seconds S] [--interval S]`: reads one meter for a while and
// prints its samples' summary, the quickest check that a meter is wired and understood: through
// the core (meters/test; Ctrl-C is meters/stop-test), as Settings tests a meter.
import type { Command } from 'commander';
import { z } from 'zod';
import type { CommandResult } from '../../contract/index';
import { action, withCommonOptions } from '../framework';

const Seconds = z.coerce.number().finite().positive('must be a positive number of seconds');

const ReadOptions = z.object({
  meter: z.string().min(1, 'needs a meter URI, e.g. shelly://10.0.0.7'),
  seconds: Seconds.max(86_400).optional(),
  interval: Seconds.optional(),
  farm: z.string().min(1).optional(),
});

function present(r: CommandResult<'meters/test'>): string {
  const f = (n: number, d: number): string => n.toFixed(d);
  return [
    `meter     ${r.meter}${r.emulated ? ' (emulated)' : ''}`,
    `samples   ${r.samples} over ${f(r.durationS, 2)} s, every ${f(r.intervalMs / 1000, 2)} s`,
    `power     avg ${f(r.avgW, 3)} W  min ${f(r.minW, 3)} W  max ${f(r.maxW, 3)} W`,
    `energy    ${f(r.energyJ, 3)} J`,
  ].join('\n');
}

export function registerPower(program: Command): void {
  const power = program.command('power').description('power meters');
  withCommonOptions(
    power
      .command('read')
      .description('read a meter for a while: samples, average/min/max watts and energy')
      .requiredOption(
        '--meter <uri>',
        'scpi+wt300://host:port, usbtmc+wt300:///dev/usbtmc0, shelly://host, kasa://host, wattsup:///dev/ttyUSB0, csv:///file.csv, ...',
      )
      .option('--seconds <s>', 'how long to read (default 5; a CSV log: all of it)')
      .option('--interval <s>', 'sample interval, within what the instrument allows')
      .option(
        '--farm <file>',
        "agent:// meters: the farm file whose agents to reach (default: the lab's virtual farm)",
      ),
  ).action(
    action(async (ctx) => {
      const o = ctx.options(ReadOptions);
      const seconds = o.seconds ?? (o.meter.startsWith('csv:') ? undefined : 5);
      ctx.say(`reading ${o.meter}${seconds === undefined ? '' : ` for ${seconds} s`}...`);
      // Ctrl-C ends the reading early: the instrument is released and the summary printed.
      const onInt = (): void => void ctx.core.call('meters/stop-test', {});
      process.once('SIGINT', onInt);
      try {
        return await ctx.core.call('meters/test', {
          uri: o.meter,
          seconds: seconds ?? null,
          ...(o.interval === undefined ? {} : { intervalS: o.interval }),
          ...(o.farm ? { farm: o.farm } : {}),
        });
      } finally {
        process.off('SIGINT', onInt);
      }
    }, present),
  );
}
