// `mchair devices list`: the inventory's boards with what each last said about itself.
import type { Command } from 'commander';
import { describeBoardState, type BoardState } from '../../contract/index';
import { defaultBoardStatesPath, loadBoardStates } from '../../inventory/boardStates';
import { type BoardRecord } from '../../inventory/boardRecord';
import { action, withCommonOptions } from '../framework';
import { withInventoryOption, openInventory } from './boardFlags';

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
        const inv = await openInventory(ctx);
        const states = await loadBoardStates(defaultBoardStatesPath(ctx.dataDir));
        return {
          inventory: inv.path,
          devices: inv.list(),
          /** What each board last said about itself (refresh, provisioning, an action). */
          states: Object.fromEntries(states),
        };
      },
      (r) => table(r.devices.map((d) => row(d, r.states[d.name] ?? null))),
    ),
  );
}
