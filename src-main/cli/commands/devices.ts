// `mchair devices ...`: the lab's boards, one module per subcommand (devicesAdd.ts, ...); add,
// list, remove and import edit the inventory (the data folder's, or the file named by
// --inventory); probe, logs, service, reboot, shutdown and uninstall connect to the boards.
import type { Command } from 'commander';
import { registerDevicesAdd } from './devicesAdd';
import { registerDevicesList } from './devicesList';
import { registerDevicesRemove } from './devicesRemove';
import { registerDevicesImport } from './devicesImport';
import { registerDevicesProbe } from './devicesProbe';
import { registerDevicesLogs } from './devicesLogs';
import { registerDevicesService } from './devicesService';
import { registerDevicesScan } from './devicesScan';
import { registerDevicesDiscover } from './devicesDiscover';
import { registerDevicesReboot } from './devicesReboot';
import { registerDevicesShutdown } from './devicesShutdown';
import { registerDevicesUninstall } from './devicesUninstall';

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description(
      'the boards of the farm: add, list, import, probe, logs, reboot, shutdown, uninstall',
    );
  registerDevicesAdd(devices);
  registerDevicesList(devices);
  registerDevicesRemove(devices);
  registerDevicesImport(devices);
  registerDevicesProbe(devices);
  registerDevicesLogs(devices);
  registerDevicesService(devices);
  registerDevicesScan(devices);
  registerDevicesDiscover(devices);
  registerDevicesReboot(devices);
  registerDevicesShutdown(devices);
  registerDevicesUninstall(devices);
}
