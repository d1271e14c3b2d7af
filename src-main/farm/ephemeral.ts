// A farm that lives as long as one run: a fresh CA, a certificate per agent and one for the
// coordinator, and the agents as child processes of this one. The demo and tests use it; the
// lasting virtual farm (`mchair farm up`) is in virtual.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsMaterial } from '../../remote-agent/src/protocol/endpoint';
import type { FarmAgent } from '../runtime/coordinator';
import { createFarmCa, issueIdentity, writeIdentity } from './pki';
import { startLocalAgent, type LocalAgent } from './local';

export const COORDINATOR_ID = 'coordinator';

export interface EphemeralFarm {
  agents: FarmAgent[];
  coordinator: { id: string; tls: TlsMaterial };
  /** Folder with ca.pem and each agent's certificate and key. */
  tlsDir: string;
  stop(): Promise<void>;
}

export interface EphemeralAgent {
  id: string;
  backend?: 'node' | 'wasm';
}

export async function startEphemeralFarm(o: {
  agents: EphemeralAgent[];
  partsDir: string;
  threads?: number;
}): Promise<EphemeralFarm> {
  const tlsDir = await mkdtemp(join(tmpdir(), 'mchair-farm-'));
  const started: LocalAgent[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((a) => a.stop()));
    await rm(tlsDir, { recursive: true, force: true });
  };
  try {
    const ca = await createFarmCa('ephemeral');
    for (const { id } of o.agents) await writeIdentity(tlsDir, id, ca.cert, await issueIdentity(ca, id, ['127.0.0.1']));
    const coord = await issueIdentity(ca, COORDINATOR_ID, ['127.0.0.1']);
    const agents = await Promise.all(
      o.agents.map(({ id, backend }) =>
        startLocalAgent({ id, partsDir: o.partsDir, tlsDir, backend, threads: o.threads }).then((a) => {
          started.push(a);
          return a;
        }),
      ),
    );
    return {
      agents: agents.map((a) => ({ id: a.id, host: a.host, port: a.port, profile: null })),
      coordinator: { id: COORDINATOR_ID, tls: { ca: ca.cert, cert: coord.cert, key: coord.key } },
      tlsDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
