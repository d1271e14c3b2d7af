// `mchair farm up --emulate SPEC | add --emulate SPEC | status | down`: the virtual farm, emulated boards as local
// agent processes that outlive the command (see farm/virtual.ts). One virtual farm per data
// folder, in <data>/farm/ (farm.json is the farm file `mchair run --farm` reads), the one the
// app's Farm view drives: through the core (farm/up, farm/status, farm/down).
import type { Command } from 'commander';
import { z } from 'zod';
import { FarmNotUpError, type VirtualDevice } from '../../contract/index';
import { action, withCommonOptions } from '../framework';

export function registerFarm(program: Command): void {
  const farm = program
    .command('farm')
    .description('the virtual farm: emulated boards as local agents');

  withCommonOptions(
    farm
      .command('up')
      .description('start emulated boards, e.g. --emulate pi3:6,pi4:2,tx2:1')
      .option(
        '--emulate <spec>',
        'devices by profile and count (pi3, pi4, pi5, tx2, tx2-gpu, x86-laptop)',
      ),
  ).action(
    action(
      async (ctx) => {
        const { emulate } = ctx.options(emulateFlag('pi3:6'));
        ctx.say(`starting emulated boards ${emulate}`);
        return ctx.core.call('farm/up', { spec: emulate });
      },
      (r) => boardLines(r.devices, r.farmFile),
    ),
  );

  withCommonOptions(
    farm
      .command('add')
      .description(
        'start more emulated boards in the running farm, e.g. --emulate pi4:1 (a run on it takes them in)',
      )
      .option('--emulate <spec>', 'devices by profile and count, named after those there'),
  ).action(
    action(
      async (ctx) => {
        const { emulate } = ctx.options(emulateFlag('pi4:1'));
        ctx.say(`starting emulated boards ${emulate}`);
        return ctx.core.call('farm/add', { spec: emulate });
      },
      (r) => boardLines(r.devices, r.farmFile),
    ),
  );

  withCommonOptions(
    farm.command('status').description('health-ping every agent of the virtual farm'),
  ).action(
    action(
      async (ctx) => {
        const status = await ctx.core.call('farm/status', {});
        // No farm is an error here (the app's Farm view shows it as a state instead).
        if (!status.up) throw new FarmNotUpError();
        return { farmFile: status.farmFile, emulated: status.emulated, devices: status.devices };
      },
      (r) =>
        [
          ...r.devices.map(
            (d) =>
              `${d.id.padEnd(12)} ${d.profile.padEnd(8)} ${`${d.host}:${d.port}`.padEnd(22)} ${d.alive ? `up ${((d.uptimeMs ?? 0) / 1000).toFixed(0)} s, ${d.backend}${d.runId ? `, run ${d.runId}` : ''}` : 'DOWN'}${r.emulated ? '  (emulated)' : ''}`,
          ),
          `farm file ${r.farmFile}`,
        ].join('\n'),
    ),
  );

  withCommonOptions(
    farm.command('down').description('stop the virtual farm and remove its files'),
  ).action(
    action(
      async (ctx) => ctx.core.call('farm/down', {}),
      (r) => `stopped ${r.stopped} processes`,
    ),
  );
}

/** `--emulate SPEC`, required, with an example in its message. */
const emulateFlag = (example: string) =>
  z.object({ emulate: z.string({ error: `is required, e.g. ${example}` }).min(1) });

/** The farm's boards after `farm up` or `farm add`, a line each, then the farm file. */
function boardLines(devices: readonly VirtualDevice[], farmFile: string): string {
  return [
    ...devices.map(
      (d) =>
        `${d.id.padEnd(12)} ${d.profile.padEnd(8)} ${d.host}:${d.port}  pid ${d.pid}  (emulated)`,
    ),
    `farm file ${farmFile}`,
  ].join('\n');
}
