// The handlers behind the Farm view's Profile action: measure the chosen boards of the lab's
// virtual farm or of the inventory (runtime/profileBoards.ts), streaming each step as
// profile/progress events, cancellable between steps, and keep each board's profile in the
// inventory; and, for the Farm view's tables, where each board's profile comes from.
import { AppError } from '../contract/index';
import type { BoardProfileSource, ProfileFarm } from '../contract/profile';
import { labFarmFile, openLabFarm } from '../farm/labFarm';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import type { SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import { farmFromFile, type Farm } from '../planner/farm';
import { resolveProfile } from '../planner/profileBook';
import { profileSource } from '../planner/profile';
import { boardsPlannerFarm } from '../runtime/boardFarm';
import { profileBoards, type ProfileTarget } from '../runtime/profileBoards';
import type { Handlers } from './dispatch';
import type { EventBus } from '../shared/events';
import { inventoryBoards } from './runs';

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

export function profileHandlers(
  dataDir: string,
  events: EventBus,
  log: Logger,
  secrets: SecretStore,
): Pick<Handlers, 'profile/start' | 'profile/cancel' | 'profile/list'> {
  let running: AbortController | null = null;
  const inventoryPath = defaultInventoryPath(dataDir);

  const sources = async (farm: ProfileFarm): Promise<BoardProfileSource[]> => {
    const inv = await Inventory.load(inventoryPath);
    const planner =
      farm === 'virtual'
        ? await virtualFarm(dataDir)
        : boardsPlannerFarm(inv.list().filter((d) => d.profile !== undefined));
    const now = new Date();
    return planner.devices.map((d) => {
      const r = resolveProfile(d, inv.storedProfiles()[d.id], now);
      return { device: d.id, source: profileSource(r.profile), note: r.note };
    });
  };

  return {
    'profile/start': async ({ farm, devices, confirmed, acceptedOnce }) => {
      if (running)
        throw new AppError('PROFILE_BUSY', 'boards are being profiled already; wait or cancel it');
      const abort = new AbortController();
      running = abort;
      try {
        let target: ProfileTarget;
        if (farm === 'virtual') {
          const planner = only(await virtualFarm(dataDir), devices);
          target = { kind: 'farmFile', farm: planner, file: labFarmFile(dataDir) };
        } else {
          const boards = await inventoryBoards(
            dataDir,
            await Inventory.load(inventoryPath),
            devices,
            { confirmed, acceptedOnce },
            secrets,
          );
          // The app's boards were probed when provisioned: qemu boards are named there.
          target = {
            kind: 'boards',
            farm: boardsPlannerFarm(boards.devices),
            boards,
            qemu: new Set(),
          };
        }
        const measured = await profileBoards({
          target,
          frames: 4,
          labDir: dataDir,
          log,
          signal: abort.signal,
          onProgress: (p) => events.emit('profile/progress', { farm, devices, ...p }),
        });
        await Inventory.edit(inventoryPath, (inv) => {
          for (const m of measured) inv.setProfile(m.device, m.stored);
        });
        events.emit('profile/progress', {
          farm,
          devices,
          done: 1,
          total: 1,
          step: 'done',
        });
        const all = await sources(farm);
        return { devices: all.filter((s) => devices.includes(s.device)) };
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
