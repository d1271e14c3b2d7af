// `mchair devices reboot NAMES...`: restart boards (their agent service comes back with them).
import type { Command } from 'commander';
import { registerBoardAction } from './boardAction';

export function registerDevicesReboot(devices: Command): void {
  registerBoardAction(
    devices,
    'reboot',
    'reboot boards (asks first unless --yes); their agent service starts again at boot',
  );
}
