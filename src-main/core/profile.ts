// The handlers behind the Farm view's Profile action: measure the chosen boards of the lab's
// virtual farm or of the inventory (runtime/profileBoards.ts), streaming each step as
// profile/progress events, cancellable between steps, and keep each board's profile in the
// inventory; and, for the Farm view's tables, where each board's profile comes from.
import { AppError } from '../contract/index';
import type { BoardProfileSource, ProfileFarm } from '../contract/profile';
import { labFarmFile, openLabFarm } from '../farm/labFarm';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import type { Logger } from '../log';
import { farmFromFile, type Farm } from '../planner/farm';
import { resolveProfile } from '../planner/profileBook';
import { profileSource } from '../planner/profile';
import { boardsPlannerFarm } from '../runtime/boardFarm';
import { profileBoards, type ProfileTarget } from '../runtime/profileBoards';
import type { Handlers } from './dispatch';
import type { EventBus } from '../shared/events';
import { inventoryBoards, type FarmReach } from './runs';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFarmFile } from '../farm/farmfile';
import { farmFromSpec } from '../planner/index';
import type { StoredProfile } from '../planner/profileBook';
import { probeDevice } from '../provision/probe';
import type { RunBoards } from '../runtime/boardFarm';

type StartArgs = Parameters<Handlers['profile/start']>[0];

/** The lab's virtual farm as the planner sees it (FARM_NOT_UP when none is up). */
async function virtualFarm(dataDir: string): Promise<Farm> {
  const open = await openLabFarm(dataDir);
  return farmFromFile(open.farm, labFarmFile(dataDir));
}

function only(farm: Farm, names: readonly string[]): Farm {
  for (const n of names)
    if (!farm.devices.some((d) => d.id === n))
      throw new AppError('DEVICE_UNKNOWN', `no board named "${n}" in this farm`);
  return { ...farm, devices: farm.devices.filter((d) => names.includes(d.id)) };
}

/** The boards a profiling measures, as profileBoards takes them. */
async function targetOf(
  o: FarmReach,
  args: StartArgs,
  inventory: Inventory,
): Promise<ProfileTarget> {
  const { farm, devices } = args;
  if (farm === 'virtual') {
    if (args.emulate) return { kind: 'emulate', farm: only(farmFromSpec(args.emulate), devices) };
    const file = args.farmFile ? resolve(args.farmFile) : labFarmFile(o.dataDir);
    const planner = args.farmFile
      ? farmFromFile((await readFarmFile(file)).json, file)
      : await virtualFarm(o.dataDir);
    return { kind: 'farmFile', farm: only(planner, devices), file };
  }
  const boards = await inventoryBoards(o.dataDir, inventory, devices, args, o.secrets, o.terminal);
  return {
    kind: 'boards',
    farm: boardsPlannerFarm(boards.devices),
    boards,
    // The app's boards were probed when provisioned: qemu boards are named there.
    qemu: args.probeQemu ? await underEmulation(boards) : new Set(),
  };
}

/** The boards that are qemu-user on an x86 machine (the probe tells), whose timings are not a board's. */
async function underEmulation(boards: RunBoards): Promise<Set<string>> {
  const probed = await boards.connector.each(boards.devices, (s, d) => probeDevice(s, d));
  return new Set(probed.flatMap((r) => (r.ok && r.value.probe.emulated ? [r.device] : [])));
}

/** A planner farm file with the measured profiles inline, for `mchair plan --farm FILE`. */
function writeFarmFile(
  out: string,
  farm: Farm,
  measured: ReadonlyArray<{ stored: StoredProfile }>,
) {
  const file = {
    devices: farm.devices.map((d, i) => ({
      id: d.id,
      profile: measured[i]!.stored.profile,
      medium: d.medium.id,
    })),
    media: [...new Set([...farm.devices.map((d) => d.medium), farm.coordinator])],
    coordinator: { medium: farm.coordinator.id },
  };
  writeFileSync(resolve(out), `${JSON.stringify(file, null, 2)}\n`);
}

/** Where each board's profile comes from, as the planner will resolve it. */
function sourcesOf(planner: Farm, inv: Inventory): BoardProfileSource[] {
  const now = new Date();
  return planner.devices.map((d) => {
    const r = resolveProfile(d, inv.storedProfiles()[d.id], now);
    return { device: d.id, source: profileSource(r.profile), note: r.note };
  });
}

export function profileHandlers(
  o: FarmReach & { events: EventBus; log: Logger },
): Pick<Handlers, 'profile/start' | 'profile/cancel' | 'profile/list'> {
  const { dataDir, events, log } = o;
  let running: AbortController | null = null;
  const inventoryPath = defaultInventoryPath(dataDir);

  const sources = async (farm: ProfileFarm): Promise<BoardProfileSource[]> => {
    const inv = await Inventory.load(inventoryPath);
    const planner =
      farm === 'virtual'
        ? await virtualFarm(dataDir)
        : boardsPlannerFarm(inv.list().filter((d) => d.profile !== undefined));
    return sourcesOf(planner, inv);
  };

  return {
    'profile/start': async (args) => {
      const { farm, devices } = args;
      if (running)
        throw new AppError('PROFILE_BUSY', 'boards are being profiled already; wait or cancel it');
      const abort = new AbortController();
      running = abort;
      try {
        const kept = args.inventory ? resolve(args.inventory) : inventoryPath;
        const target = await targetOf(o, args, await Inventory.load(kept));
        const measured = await profileBoards({
          target,
          frames: args.frames,
          labDir: dataDir,
          log,
          signal: abort.signal,
          onProgress: (p) => events.emit('profile/progress', { farm, devices, ...p }),
        });
        const inv = await Inventory.edit(kept, (inv) => {
          for (const m of measured) inv.setProfile(m.device, m.stored);
          return inv;
        });
        if (args.out) writeFarmFile(args.out, target.farm, measured);
        events.emit('profile/progress', {
          farm,
          devices,
          done: 1,
          total: 1,
          step: 'done',
        });
        return { devices: sourcesOf(target.farm, inv) };
      } finally {
        running = null;
      }
    },
    'profile/cancel': async () => {
      const r = running;
      r?.abort();
      return { cancelled: r !== null };
    },
    'profile/list': async ({ farm }) => ({ devices: await sources(farm) }),
  };
}
