// `mchair devices service ACTION [NAMES...]`: start, stop, restart, status or uninstall the agent.
import type { Command } from 'commander';
import { z } from 'zod';
import type { WireError } from '../../contract/index';
import { controlService, type ServiceAction } from '../../provision/service';
import { action, UsageError, withCommonOptions } from '../framework';
import {
  withInventoryOption,
  withTrustOption,
  openInventory,
  connectorFor,
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
      const inv = await openInventory(ctx);
      const connector = await connectorFor(ctx);
      const results = await connector.each(inv.select(ctx.args.slice(1)), (s, d) =>
        controlService(s, d, act.data as ServiceAction),
      );
      const devices = results.map((r) =>
        r.ok ? { name: r.device, ...r.value } : { name: r.device, error: r.error },
      );
      return finishEach(ctx, { devices }, showStates);
    }, showStates),
  );
}
