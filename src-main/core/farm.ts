// The handlers behind the Farm view's virtual farm: the same up/status/down as `mchair farm`
// (farm/labFarm.ts), so the app and the CLI share one farm per data folder.
import { labFarmDown, labFarmStatus, labFarmUp } from '../farm/labFarm';
import type { Handlers } from './dispatch';

export function farmHandlers(
  dataDir: string,
): Pick<Handlers, 'farm/up' | 'farm/status' | 'farm/down'> {
  return {
    'farm/up': async ({ spec }) => {
      await labFarmUp(dataDir, spec);
      return labFarmStatus(dataDir);
    },
    'farm/status': async () => labFarmStatus(dataDir),
    'farm/down': async () => labFarmDown(dataDir),
  };
}
