// `mchair devices service ACTION [NAMES...]`: start, stop, restart, status or uninstall the agent,
// through the core's devices/service.
import type { Command } from 'commander';
import { z } from 'zod';
import type { WireError } from '../../contract/index';
import { action, UsageError, withCommonOptions } from '../framework';
import {
  withInventoryOption,
  withTrustOption,
  inventoryPath,
  failureLine,
  finishEach,
} from './boardFlags';

type StateRow = { name: string; mode: string; state: string } | { name: string; error: WireError };

function showStates(r: { devices: StateRow[] }): string {
  return r.devices
    .map((d) => ('error' in d ? failureLine(d.name, d.error) : `${d.name}: ${d.state} (${d.mode})`))
    .join('\n');
}

export function registerDevicesService(devices: Command): void {
  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command('service <action> [names...]')
          .description(
            'start, stop, restart, status or uninstall the agent on boards (all when no name is given)',
          ),
      ),
    ),
  ).action(
    action(async (ctx) => {
      const act = z
        .enum(['start', 'stop', 'restart', 'status', 'uninstall'])
        .safeParse(ctx.args[0]);
      if (!act.success)
        throw new UsageError('action must be start, stop, restart, status or uninstall');
      const { devices } = await ctx.core.call('devices/service', {
        action: act.data,
        names: ctx.args.slice(1),
        acceptNew: ctx.opts.acceptNew === true,
        inventory: inventoryPath(ctx),
      });
      return finishEach(ctx, { devices }, showStates);
    }, showStates),
  );
}
