// `mchair devices remove NAME`: a board out of the inventory (the board is not touched).
import type { Command } from 'commander';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath, editInventory } from './boardFlags';

export function registerDevicesRemove(devices: Command): void {
  withCommonOptions(
    withInventoryOption(
      devices.command('remove <name>').description('remove a board from the inventory'),
    ),
  ).action(
    action(
      async (ctx) => {
        const removed = await editInventory(ctx, (inv) => inv.remove(ctx.args[0] ?? ''));
        return { removed: removed.name, inventory: inventoryPath(ctx) };
      },
      (r) => `removed ${r.removed} from ${r.inventory}`,
    ),
  );
}
