// The lab's one virtual farm, kept in <data>/farm/ (farm.json is the farm file `mchair run
// --farm` reads): up, add, status and down, shared by `mchair farm` and the app's Farm view so
// both see and drive the same farm. Its agents outlive the program that started it, whose name is
// kept beside them (owner.json): every other program attaches to the farm that is up, and one that
// asks for another is told who started it. Up and down hold a lock, so two programs starting a
// farm at once start one, not two with one orphaned.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, describeOwner, FarmNotUpError, RunOwner } from '../contract/index';
import { writeFileAtomic } from '../store/atomic';
import { withFileLock } from '../store/lock';
import { thisOwner } from '../store/owner';
import { farmFromSpec, type Farm } from '../planner/index';
import { readFarmFile, type OpenFarm } from './farmfile';
import {
  addEmulatedBoards,
  emulatedDevices,
  farmStatus,
  startEmulatedFarm,
  stopFarmProcesses,
  type BoardStatus,
} from './virtual';

export const labFarmDir = (dataDir: string): string => join(dataDir, 'farm');
export const labFarmFile = (dataDir: string): string => join(labFarmDir(dataDir), 'farm.json');
const starterFile = (dataDir: string): string => join(labFarmDir(dataDir), 'owner.json');
/** Beside the farm's folder, which up and down remove. */
const farmLock = (dataDir: string): string => join(dataDir, 'farm.lock');
/** Starting a farm of many boards takes a while; a second starter waits for the first. */
const FARM_LOCK_MS = 180_000;

const FarmStarter = RunOwner.extend({ at: z.string() });
type FarmStarter = z.infer<typeof FarmStarter>;

/** Who started the lab's farm; null when unknown (a farm from before starters were kept). */
async function farmStarter(dataDir: string): Promise<FarmStarter | null> {
  const text = await readFile(starterFile(dataDir), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = FarmStarter.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

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
  return withFileLock(
    farmLock(dataDir),
    async () => {
      if (existsSync(file)) {
        const open = await readFarmFile(file);
        const status = await farmStatus(open.farm, open.coordinator);
        if (status.some((d) => d.alive)) {
          const by = await farmStarter(dataDir);
          throw new AppError(
            'FARM_RUNNING',
            `a virtual farm is already up${by ? `, started by ${describeOwner(by)} at ${by.at}` : ''}; runs use it as it is, or stop it ("mchair farm down" or Stop in the Farm view) to start another`,
          );
        }
      }
      await rm(labFarmDir(dataDir), { recursive: true, force: true });
      say?.(`starting ${planner.devices.length} emulated devices`);
      const running = await startEmulatedFarm(planner, labFarmDir(dataDir), file, true);
      const starter: FarmStarter = { ...thisOwner(), at: new Date().toISOString() };
      await writeFileAtomic(starterFile(dataDir), `${JSON.stringify(starter)}\n`);
      return started(file, running.endpoints.devices);
    },
    FARM_LOCK_MS,
  );
}

function started(
  farmFile: string,
  devices: ReadonlyArray<{ id: string; profile: string; host: string; port: number; pid?: number }>,
): { farmFile: string; devices: LabFarmDevice[] } {
  return {
    farmFile,
    devices: devices.map((d) => ({
      id: d.id,
      profile: d.profile,
      host: d.host,
      port: d.port,
      pid: d.pid ?? null,
    })),
  };
}

/**
 * `spec`'s boards named after those already in a farm: adding pi4:1 to pi4-1..pi4-4 gives pi4-5
 * (farmFromSpec numbers each profile from 1).
 */
export function nextBoards(spec: string, taken: readonly string[]): Farm {
  const farm = farmFromSpec(spec);
  const used = new Set(taken);
  const devices = farm.devices.map((d) => {
    let n = 1;
    while (used.has(`${d.profile.id}-${n}`)) n++;
    const id = `${d.profile.id}-${n}`;
    used.add(id);
    return { ...d, id };
  });
  return { ...farm, devices };
}

/**
 * Starts more emulated boards (e.g. "pi4:1") in the lab's running virtual farm; a run on it
 * takes them in while it goes (runtime/join.ts). Returns the boards added.
 */
export async function labFarmAdd(
  dataDir: string,
  spec: string,
  say?: (line: string) => void,
): Promise<{ farmFile: string; devices: LabFarmDevice[] }> {
  const open = await openLabFarm(dataDir);
  const status = await farmStatus(open.farm, open.coordinator);
  if (!status.some((d) => d.alive))
    throw new AppError(
      'FARM_NOT_UP',
      'no agent of the virtual farm answers; start it again ("mchair farm up") before adding boards',
    );
  // Two adds at once must not both name their board pi4-5, nor one undo the other's file.
  return withFileLock(join(labFarmDir(dataDir), '.add.lock'), async () => {
    const now = await openLabFarm(dataDir);
    const planner = nextBoards(
      spec,
      now.farm.devices.map((d) => d.id),
    );
    say?.(`starting ${planner.devices.map((d) => d.id).join(', ')}`);
    const grown = await addEmulatedBoards(
      labFarmDir(dataDir),
      now.file,
      now.farm,
      emulatedDevices(planner).devices,
    );
    const added = new Set(planner.devices.map((d) => d.id));
    return {
      farmFile: now.file,
      devices: grown.devices
        .filter((d) => added.has(d.id))
        .map((d) => ({
          id: d.id,
          profile: d.profile,
          host: d.host,
          port: d.port,
          pid: d.pid ?? null,
        })),
    };
  });
}

/** Health-pings every agent of the lab's virtual farm; `up` is false when none was started. */
export async function labFarmStatus(dataDir: string): Promise<{
  up: boolean;
  farmFile: string;
  emulated: boolean;
  devices: BoardStatus[];
  startedBy: FarmStarter | null;
}> {
  const file = labFarmFile(dataDir);
  if (!existsSync(file))
    return { up: false, farmFile: file, emulated: true, devices: [], startedBy: null };
  const open = await readFarmFile(file);
  const devices = await farmStatus(open.farm, open.coordinator);
  return {
    up: true,
    farmFile: file,
    emulated: open.farm.emulated,
    devices,
    startedBy: await farmStarter(dataDir),
  };
}

/** Stops the lab's virtual farm and removes its folder; returns how many processes stopped. */
export async function labFarmDown(dataDir: string): Promise<{ stopped: number }> {
  return withFileLock(
    farmLock(dataDir),
    async () => {
      const open = await openLabFarm(dataDir);
      const stopped = await stopFarmProcesses(open.farm);
      await rm(labFarmDir(dataDir), { recursive: true, force: true });
      return { stopped };
    },
    FARM_LOCK_MS,
  );
}
