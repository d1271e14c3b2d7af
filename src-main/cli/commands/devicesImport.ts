// `mchair devices import FILE`: boards from a CSV file or an ssh config, all or none.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, InputError } from '../../contract/index';
import { parseImport } from '../../inventory/import';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath, editInventory } from './boardFlags';

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
        const devices = parseImport(file, text);
        // Validate every row before saving any, so a bad line leaves the inventory untouched.
        const added = await editInventory(ctx, (inv) =>
          devices.map((d) => {
            try {
              return inv.add(d, { replace: ctx.opts.replace === true });
            } catch (err) {
              // Name the entry at fault: "device.host: ..." alone does not say which of 40 rows.
              if (err instanceof AppError)
                throw new AppError(
                  err.code,
                  `${file}: device ${JSON.stringify(d.name)}: ${err.message.replace(/^device\./, '')}`,
                );
              throw err;
            }
          }),
        );
        return { imported: added.map((d) => d.name), inventory: inventoryPath(ctx) };
      },
      (r) =>
        `imported ${r.imported.length} device(s) into ${r.inventory}: ${r.imported.join(', ')}`,
    ),
  );
}
