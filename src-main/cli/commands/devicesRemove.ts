// `mchair devices remove NAME`: a board out of the inventory (the board is not touched), through
// the core's devices/remove.
import type { Command } from 'commander';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath } from './boardFlags';

export function registerDevicesRemove(devices: Command): void {
  withCommonOptions(
    withInventoryOption(
      devices.command('remove <name>').description('remove a board from the inventory'),
    ),
  ).action(
    action(
      async (ctx) => {
        const inventory = inventoryPath(ctx);
        const { removed } = await ctx.core.call('devices/remove', {
          name: ctx.args[0] ?? '',
          // The data folder's own inventory is the core's; its boards' states go with them.
          ...(ctx.opts.inventory !== undefined ? { inventory } : {}),
        });
        return { removed, inventory };
      },
      (r) => `removed ${r.removed} from ${r.inventory}`,
    ),
  );
}
