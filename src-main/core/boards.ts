// The handlers that connect to the inventory's boards and answer one outcome per board: read
// their state again, reboot, shut down or uninstall them, read an agent's log, probe them,
// control their agent's service. The connector is provisioning's (provision.ts): host keys the
// page confirmed, the CLI's --accept-new and its terminal.
import type { Inventory } from '../inventory/inventory';
import { actOnBoards } from '../provision/boardControl';
import { nodeTarballs } from '../provision/board-node';
import { probeDevice } from '../provision/probe';
import { controlService, readAgentLogs } from '../provision/service';
import type { Connector } from '../ssh/connector';
import type { Handlers } from './dispatch';

export type BoardCommands =
  'devices/refresh' | 'devices/act' | 'devices/logs' | 'devices/probe' | 'devices/service';

export interface BoardReach {
  /** The data folder's inventory, or the file the CLI's --inventory names. */
  inventory(file?: string): Promise<Inventory>;
  connector(
    confirmed?: readonly string[],
    acceptedOnce?: readonly string[],
    acceptNew?: boolean,
  ): Promise<Connector>;
  /** Where what each board last said about itself is remembered. */
  statesPath: string;
}

export function boardHandlers({
  inventory,
  connector,
  statesPath,
}: BoardReach): Pick<Handlers, BoardCommands> {
  return {
    'devices/refresh': async ({ names, confirmed, acceptedOnce }) => ({
      devices: await actOnBoards(
        await connector(confirmed, acceptedOnce),
        (await inventory()).select(names),
        'refresh',
        statesPath,
      ),
    }),
    'devices/act': async ({
      action,
      names,
      confirmed,
      acceptedOnce,
      acceptNew,
      inventory: file,
    }) => ({
      devices: await actOnBoards(
        await connector(confirmed, acceptedOnce, acceptNew),
        (await inventory(file)).select(names),
        action,
        statesPath,
      ),
    }),
    'devices/logs': async ({ name, lines, acceptNew, inventory: file }) => {
      const device = (await inventory(file)).get(name);
      return (await connector([], [], acceptNew)).with(device, (session) =>
        readAgentLogs(session, device, lines),
      );
    },
    'devices/probe': async ({ names, acceptNew, inventory: file }) => {
      const boards = (await inventory(file)).select(names);
      // The verdict names the Node provisioning would push: the app's own, for the board's CPU.
      const nodes = await nodeTarballs([]);
      const results = await (
        await connector([], [], acceptNew)
      ).each(boards, (s, d) => probeDevice(s, d, { nodes }));
      return {
        devices: results.map((r) => (r.ok ? r.value : { device: r.device, error: r.error })),
      };
    },
    'devices/service': async ({ action, names, acceptNew, inventory: file }) => {
      const boards = (await inventory(file)).select(names);
      const results = await (
        await connector([], [], acceptNew)
      ).each(boards, (s, d) => controlService(s, d, action));
      return {
        devices: results.map((r) =>
          r.ok ? { name: r.device, ...r.value } : { name: r.device, error: r.error },
        ),
      };
    },
  };
}
