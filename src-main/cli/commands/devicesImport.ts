// `mchair devices import FILE`: boards from a CSV file or an ssh config, all or none, through the
// core's devices/import.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../../contract/index';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath } from './boardFlags';

export function registerDevicesImport(devices: Command): void {
  withCommonOptions(
    withInventoryOption(
      devices
        .command('import <file>')
        .description(
          'add boards from a CSV file (name,host,user,port,auth,key,agent_port,profile,jump) or an ssh config',
        )
        .option('--replace', 'replace devices of the same name'),
    ),
  ).action(
    action(
      async (ctx) => {
        const file = resolve(ctx.args[0] ?? '');
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch {
          throw new InputError(`cannot read ${file}`);
        }
        const { added } = await ctx.core.call('devices/import', {
          fileName: file,
          text,
          replace: ctx.opts.replace === true,
          // A file of no boards imports none: the CLI has always said so and exited 0.
          allowEmpty: true,
          inventory: inventoryPath(ctx),
        });
        return { imported: added, inventory: inventoryPath(ctx) };
      },
      (r) =>
        `imported ${r.imported.length} device(s) into ${r.inventory}: ${r.imported.join(', ')}`,
    ),
  );
}
