// The lab's one virtual farm, kept in <data>/farm/ (farm.json is the farm file `mchair run
// --farm` reads): up, status and down, shared by `mchair farm` and the app's Farm view so both
// see and drive the same farm.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, FarmNotUpError } from '../contract/index';
import { farmFromSpec } from '../planner/index';
import { readFarmFile, type OpenFarm } from './farmfile';
import { farmStatus, startEmulatedFarm, stopFarmProcesses, type DeviceStatus } from './virtual';

export const labFarmDir = (dataDir: string): string => join(dataDir, 'farm');
export const labFarmFile = (dataDir: string): string => join(labFarmDir(dataDir), 'farm.json');

export interface LabFarmDevice {
  id: string;
  profile: string;
  host: string;
  port: number;
  pid: number | null;
}

/** The lab's virtual farm file, or FARM_NOT_UP saying how to start one. */
export async function openLabFarm(dataDir: string): Promise<OpenFarm> {
  const file = labFarmFile(dataDir);
  if (!existsSync(file)) throw new FarmNotUpError();
  return readFarmFile(file);
}

/**
 * Starts emulated boards by profile and count (e.g. "pi3:6,pi4:2") as agents that outlive the
 * caller. A farm whose agents are all gone is replaced; a live one is refused.
 */
export async function labFarmUp(
  dataDir: string,
  spec: string,
  say?: (line: string) => void,
): Promise<{ farmFile: string; devices: LabFarmDevice[] }> {
  const planner = farmFromSpec(spec);
  const file = labFarmFile(dataDir);
  if (existsSync(file)) {
    const open = await readFarmFile(file);
    const status = await farmStatus(open.farm, open.coordinator);
    if (status.some((d) => d.alive))
      throw new AppError(
        'FARM_RUNNING',
        'a virtual farm is already up; stop it ("mchair farm down" or Stop in the Farm view) first',
      );
  }
  await rm(labFarmDir(dataDir), { recursive: true, force: true });
  say?.(`starting ${planner.devices.length} emulated devices`);
  const running = await startEmulatedFarm(planner, labFarmDir(dataDir), file, true);
  return {
    farmFile: file,
    devices: running.endpoints.devices.map((d) => ({
      id: d.id,
      profile: d.profile,
      host: d.host,
      port: d.port,
      pid: d.pid ?? null,
    })),
  };
}

/** Health-pings every agent of the lab's virtual farm; `up` is false when none was started. */
export async function labFarmStatus(
  dataDir: string,
): Promise<{ up: boolean; farmFile: string; emulated: boolean; devices: DeviceStatus[] }> {
  const file = labFarmFile(dataDir);
  if (!existsSync(file)) return { up: false, farmFile: file, emulated: true, devices: [] };
  const open = await readFarmFile(file);
  const devices = await farmStatus(open.farm, open.coordinator);
  return { up: true, farmFile: file, emulated: open.farm.emulated, devices };
}

/** Stops the lab's virtual farm and removes its folder; returns how many processes stopped. */
export async function labFarmDown(dataDir: string): Promise<{ stopped: number }> {
  const open = await openLabFarm(dataDir);
  const stopped = await stopFarmProcesses(open.farm);
  await rm(labFarmDir(dataDir), { recursive: true, force: true });
  return { stopped };
}
