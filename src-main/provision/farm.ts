// A provisioned inventory as a farm the coordinator can run on: each device's agent address and
// the coordinator's identity from the same lab CA that signed the agents' certificates.
import { AppError } from '../contract/errors';
import type { BoardRecord } from '../inventory/boardRecord';
import type { TlsMaterial } from '../farm/pki';
import type { Board } from '../shared/board';
import { COORDINATOR_ID } from '../farm/virtual';
import { labIdentity } from './lab-ca';

export interface ProvisionedFarm {
  agents: Board[];
  coordinator: { id: string; tls: TlsMaterial };
}

/** `coordinatorHosts`: the addresses the boards reach this machine at (its certificate names them). */
export async function provisionedFarm(
  devices: readonly BoardRecord[],
  dataDir: string,
  coordinatorHosts: string[] = [],
): Promise<ProvisionedFarm> {
  const behindJump = devices.filter((d) => d.jump);
  if (behindJump.length > 0) {
    // Frames and activations travel over direct TCP between boards and this machine.
    throw new AppError(
      'UNREACHABLE',
      `${behindJump.map((d) => d.name).join(', ')} can only be reached through a jump host, so the farm cannot stream frames to them; put them on the lab network`,
    );
  }
  const { tls } = await labIdentity(dataDir, COORDINATOR_ID, coordinatorHosts);
  return {
    agents: devices.map((d) => ({ id: d.name, host: d.host, port: d.agentPort, profile: null })),
    coordinator: { id: COORDINATOR_ID, tls },
  };
}
