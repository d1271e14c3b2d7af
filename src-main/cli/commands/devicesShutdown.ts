// `mchair devices shutdown NAMES...`: power boards off (someone must switch them on again).
import type { Command } from 'commander';
import { registerBoardAction } from './boardAction';

export function registerDevicesShutdown(devices: Command): void {
  registerBoardAction(
    devices,
    'shutdown',
    'shut boards down (asks first unless --yes); they stay off until switched on at the board',
  );
}
