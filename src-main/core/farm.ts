// The handlers behind the Farm view's virtual farm and its boards' readings: the same
// up/status/down as `mchair farm` (farm/labFarm.ts), so the app and the CLI share one farm per
// data folder; readings come from each agent's `readings` message (farm/readings.ts), and a
// board's own saved meter (a plug) is read beside them (farm/boardMeter.ts).
import { boardMeters, readBoardMeter } from '../farm/boardMeter';
import { labFarmAdd, labFarmDown, labFarmStatus, labFarmUp } from '../farm/labFarm';
import { readIdentity } from '../farm/pki';
import { readAgent } from '../farm/readings';
import { COORDINATOR_ID } from '../farm/virtual';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import { labPkiDir } from '../provision/lab-ca';
import { loadMeters } from '../power/savedMeters';
import type { Handlers } from './dispatch';

export function farmHandlers(
  dataDir: string,
): Pick<Handlers, 'farm/up' | 'farm/add' | 'farm/status' | 'farm/down' | 'devices/readings'> {
  return {
    'farm/up': async ({ spec }) => {
      await labFarmUp(dataDir, spec);
      return labFarmStatus(dataDir);
    },
    'farm/add': async ({ spec }) => {
      await labFarmAdd(dataDir, spec);
      return labFarmStatus(dataDir);
    },
    'farm/status': async () => labFarmStatus(dataDir),
    'farm/down': async () => labFarmDown(dataDir),
    'devices/readings': async () => {
      const devices = (await Inventory.load(defaultInventoryPath(dataDir))).list();
      // Only provisioning issues the coordinator's certificate: reading never creates a lab CA.
      const tls = await readIdentity(labPkiDir(dataDir), COORDINATOR_ID).catch(() => null);
      const plugs = boardMeters(await loadMeters(dataDir));
      const agentOf = async (d: (typeof devices)[number]) => {
        if (!tls) return { readings: null, error: 'not provisioned from this lab yet' };
        if (d.jump) return { readings: null, error: 'behind a jump host: no direct link' };
        return readAgent({ id: d.name, host: d.host, port: d.agentPort }, tls);
      };
      return {
        devices: await Promise.all(
          devices.map(async (d) => {
            const plug = plugs.get(d.name);
            const [r, p] = await Promise.all([agentOf(d), plug ? readBoardMeter(plug) : null]);
            return { name: d.name, ...r, plug: p };
          }),
        ),
      };
    },
  };
}
