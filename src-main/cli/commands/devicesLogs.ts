// `mchair devices logs NAME`: the last lines of a board's agent log, through the core's
// devices/logs (secrets and unknown host keys are asked on the terminal).
import type { Command } from 'commander';
import { z } from 'zod';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, withTrustOption, inventoryPath } from './boardFlags';

export function registerDevicesLogs(devices: Command): void {
  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command('logs <name>')
          .description("print the last lines of a board's agent log")
          .option('--lines <n>', 'how many lines', '200'),
      ),
    ),
  ).action(
    action(
      async (ctx) => {
        const { lines } = ctx.options(
          z.object({ lines: z.coerce.number().int().min(1).max(100_000) }).loose(),
        );
        const name = ctx.args[0] ?? '';
        const inventory = inventoryPath(ctx);
        const logs = await ctx.core.call('devices/logs', {
          name,
          lines,
          acceptNew: ctx.opts.acceptNew === true,
          inventory,
        });
        return { device: name, ...logs };
      },
      (r) => r.text.trimEnd(),
    ),
  );
}
