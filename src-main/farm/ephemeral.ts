// A farm that lives as long as one run: a virtual farm in a temporary folder, its agents child
// processes of this one. The demo, `mchair run --emulate` and the tests use it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarm, type FarmDeviceSpec, type RunningFarm } from './virtual';

export interface EphemeralFarm extends RunningFarm {
  /** Folder with ca.pem and each agent's certificate and key. */
  tlsDir: string;
  partsDir: string;
}

export async function startEphemeralFarm(o: {
  agents: Array<Partial<FarmDeviceSpec> & { id: string }>;
  /** Partitions are copied here by the caller; defaults to the farm's own parts folder. */
  coordinatorLink?: FarmDeviceSpec['link'];
  threads?: number;
  /** Where the agents listen when some run in network namespaces (farm/netns.ts). */
  host?: string;
}): Promise<EphemeralFarm> {
  const dir = await mkdtemp(join(tmpdir(), 'mchair-farm-'));
  try {
    const farm = await startFarm({
      dir,
      devices: o.agents.map((a) => ({ profile: null, ...a })),
      coordinatorLink: o.coordinatorLink,
      detached: false,
      threads: o.threads,
      host: o.host,
    });
    return {
      ...farm,
      tlsDir: farm.endpoints.tlsDir,
      partsDir: farm.endpoints.partsDir,
      stop: async () => {
        await farm.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
