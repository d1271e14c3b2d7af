// Power links to agents: the rails an agent reads on its own board (TX2 INA3221, Pi 5 PMIC), with
// the agent clock's offset from ours measured by one ping. A running coordinator uses them for
// agent:// meters in a run; `mchair power read --meter agent://DEVICE` uses them outside a run,
// reaching the device through the lab's virtual farm or a farm file with the farm's TLS identity.
import { PeerClient } from '../../remote-agent/src/protocol/index';
import { AppError } from '../contract/index';
import type { OpenFarm } from '../farm/farmfile';
import type { AgentConnector, AgentPowerLink } from '../power/agent';
import type { Clock } from '../power/clock';

export async function powerLink(c: PeerClient, clock: Clock): Promise<AgentPowerLink> {
  const t0 = clock.now();
  const h = await c.ping(Date.now());
  const t1 = clock.now();
  return {
    readPower: async () => JSON.parse(await c.powerRead()) as unknown,
    offsetMs: h.now - (t0 + t1) / 2,
  };
}

/** Connects to the farm's agents on demand; close() ends every connection it made. */
export function farmPowerConnector(
  farm: OpenFarm,
  clock: Clock,
): { connect: AgentConnector; close(): void } {
  const clients: PeerClient[] = [];
  return {
    connect: async (device) => {
      const d = farm.farm.devices.find((x) => x.id === device);
      if (!d) {
        const ids = farm.farm.devices.map((x) => x.id).join(', ');
        throw new AppError(
          'DEVICE_NOT_IN_FARM',
          `no device "${device}" in ${farm.file} (it has ${ids})`,
        );
      }
      const c = await PeerClient.connect(
        { id: d.id, host: d.host, port: d.port },
        { tls: farm.coordinator.tls },
      ).catch((err: Error) => {
        throw new AppError(
          'AGENT_UNREACHABLE',
          `cannot reach the agent of ${d.id} at ${d.host}:${d.port}: ${err.message}`,
        );
      });
      clients.push(c);
      return powerLink(c, clock);
    },
    close: () => {
      for (const c of clients.splice(0)) c.close();
    },
  };
}
