// `mchair devices uninstall NAMES...`: remove the agent, its service and its folder from boards
// (the inventory keeps them; provision them again to put it back).
import type { Command } from 'commander';
import { registerBoardAction } from './boardAction';

export function registerDevicesUninstall(devices: Command): void {
  registerBoardAction(
    devices,
    'uninstall',
    'remove the agent, its service and its folder from boards (asks first unless --yes)',
  );
}
