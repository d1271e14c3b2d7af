// `mchair devices logs NAME`: the last lines of a board's agent log.
import type { Command } from 'commander';
import { z } from 'zod';
import { readAgentLogs } from '../../provision/service';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, withTrustOption, openInventory, connectorFor } from './boardFlags';

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
        const inv = await openInventory(ctx);
        const device = inv.get(ctx.args[0] ?? '');
        const connector = await connectorFor(ctx);
        return {
          device: device.name,
          ...(await connector.with(device, (s) => readAgentLogs(s, device, lines))),
        };
      },
      (r) => r.text.trimEnd(),
    ),
  );
}
