// `mchair devices list`: the inventory's boards with what each last said about itself, through
// the core (devices/list with their whole entries).
import type { Command } from 'commander';
import { describeBoardState, type BoardState } from '../../contract/index';
import type { BoardRecord } from '../../contract/boardRecord';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath } from './boardFlags';

function row(d: BoardRecord, state: BoardState | null): Record<string, string> {
  return {
    name: d.name,
    login: `${d.user}@${d.host}:${d.port}`,
    auth: d.auth.type === 'key' ? `key ${d.auth.file}` : d.auth.type,
    via: d.jump ? `${d.jump.user}@${d.jump.host}:${d.jump.port}` : '-',
    agent: String(d.agentPort),
    profile: d.profile ?? '(probe)',
    state: describeBoardState(state),
  };
}

function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0)
    return 'no devices yet: add one with `mchair devices add NAME --host H --user U`';
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(cols.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(cols.map((c) => r[c]!))),
  ].join('\n');
}

export function registerDevicesList(devices: Command): void {
  withCommonOptions(
    withInventoryOption(devices.command('list').description('list the boards')),
  ).action(
    action(
      async (ctx) => {
        const inventory = inventoryPath(ctx);
        const { devices } = await ctx.core.call('devices/list', {
          full: true,
          ...(ctx.opts.inventory !== undefined ? { inventory } : {}),
        });
        return {
          inventory,
          devices: devices.map((d) => d.record!),
          /** What each board last said about itself (refresh, provisioning, an action). */
          states: Object.fromEntries(
            devices.flatMap((d) => (d.state ? [[d.name, d.state] as const] : [])),
          ),
        };
      },
      (r) => table(r.devices.map((d) => row(d, r.states[d.name] ?? null))),
    ),
  );
}
