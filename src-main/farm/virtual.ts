// The virtual farm: agents as local processes with device emulation. Each agent computes for
// real and holds results until its profile's time has passed (the coordinator sends the per-part
// times with the deployment); its messages are paced to its link: a shared medium's airtime
// service (all Pis on one Wi-Fi share ~40 Mbit/s) or its own switched port. The protocol, TLS,
// planner and runtime are the real ones. Every figure it yields is labelled emulated.
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mediumLink, portLink, type Link } from '../../remote-agent/src/medium';
import { PeerClient, type TlsMaterial } from '../../remote-agent/src/protocol/endpoint';
import type { Health } from '../../remote-agent/src/protocol/schema';
import type { Farm, Medium } from '../planner/index';
import type { Board } from '../runtime/coordinator';
import type { BoardReadings } from '../contract/farm';
import type { FarmEndpoints } from './farmfile';
import { readingsOf } from './readings';
import { writeFileAtomic } from '../store/atomic';
import { isOurAgent, startLocalAgent, startMedium, stopProcess, type LocalAgent } from './local';
import { createFarmCa, issueIdentity, writeIdentity } from './pki';

export const COORDINATOR_ID = 'coordinator';

export interface FarmDeviceSpec {
  id: string;
  /** Emulated profile id; null runs at this machine's own speed, unpaced. */
  profile: string | null;
  /** Link emulation: a shared medium id, or a switched port speed. */
  link?: { medium: string; mbps: number; shared: boolean };
  backend?: 'node' | 'wasm';
  /** Runs in this network namespace at this address (farm/netns.ts), not on `host`. */
  netns?: { netns: string; address: string };
  /** The agent's memory budget; without one it takes what the machine has available. */
  memoryBudgetBytes?: number;
}

export interface RunningFarm {
  endpoints: FarmEndpoints;
  agents: Board[];
  coordinator: { id: string; tls: TlsMaterial };
  /** Opens the coordinator's own emulated link (null when the farm is not emulated). */
  coordinatorLink(): Promise<Link | null>;
  stop(): Promise<void>;
}

const linkOf = (m: Medium) => ({ medium: m.id, mbps: m.mbps, shared: m.kind === 'shared' });

/** The planner's farm (e.g. from `--emulate pi3:6,pi4:2`) as emulated devices and links. */
export function emulatedDevices(farm: Farm): {
  devices: FarmDeviceSpec[];
  coordinatorLink: FarmDeviceSpec['link'];
} {
  return {
    devices: farm.devices.map((d) => ({ id: d.id, profile: d.profile.id, link: linkOf(d.medium) })),
    coordinatorLink: linkOf(farm.coordinator),
  };
}

/**
 * Starts the emulated farm `planner` describes in `dir` and writes its farm file (what
 * `mchair run --farm` reads) to `file`, atomically: a crash mid-write must not leave a torn
 * farm file that names no running farm.
 */
export async function startEmulatedFarm(
  planner: Farm,
  dir: string,
  file: string,
  detached: boolean,
): Promise<RunningFarm> {
  const running = await startFarm({ dir, ...emulatedDevices(planner), detached, threads: 1 });
  try {
    await writeFileAtomic(file, `${JSON.stringify(running.endpoints, null, 2)}\n`);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

/**
 * Starts a farm in `dir`: CA and certificates in dir/tls, partitions in dir/parts, one process
 * per device and per shared medium. `detached` farms outlive this process (`mchair farm up`).
 */
export async function startFarm(o: {
  dir: string;
  devices: FarmDeviceSpec[];
  /** The coordinator's link (the laptop is on the farm's network too). */
  coordinatorLink?: { medium: string; mbps: number; shared: boolean };
  detached: boolean;
  threads?: number;
  /** Where the agents, the media and the coordinator listen (a farm link's address, not lo). */
  host?: string;
}): Promise<RunningFarm> {
  const host = o.host ?? '127.0.0.1';
  const tlsDir = join(o.dir, 'tls');
  const partsDir = join(o.dir, 'parts');
  const logDir = join(o.dir, 'logs');
  await Promise.all([
    mkdir(tlsDir, { recursive: true }),
    mkdir(partsDir, { recursive: true }),
    mkdir(logDir, { recursive: true }),
  ]);
  const started: LocalAgent[] = [];
  const airtime: FarmEndpoints['airtime'] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.map((p) => p.stop()));
  };
  try {
    // Every identity is issued here and now: the CA key is never written, least of all into
    // the folder the agents read their own keys from.
    const ca = await createFarmCa(o.dir);
    for (const d of o.devices)
      await writeIdentity(
        tlsDir,
        d.id,
        ca.cert,
        await issueIdentity(ca, d.id, [d.netns?.address ?? host]),
      );
    const coord = await issueIdentity(ca, COORDINATOR_ID, [host]);
    await writeIdentity(tlsDir, COORDINATOR_ID, ca.cert, coord);
    const logFd = async (name: string) =>
      o.detached ? { logFd: (await open(join(logDir, `${name}.log`), 'a')).fd } : undefined;

    const shared = new Map<string, number>();
    for (const l of [...o.devices.map((d) => d.link), o.coordinatorLink])
      if (l?.shared) shared.set(l.medium, l.mbps);
    for (const [id, mbps] of shared) {
      const m = await startMedium(mbps, await logFd(`medium-${id}`), host);
      started.push(m);
      airtime.push({ id, host: m.host, port: m.port, pid: m.pid });
    }
    const mediumAddr = (id: string) => {
      const m = airtime.find((x) => x.id === id);
      return m ? `${m.host}:${m.port}` : undefined;
    };
    const agents = await Promise.all(
      o.devices.map(async (d) => {
        const a = await startLocalAgent({
          id: d.id,
          host: d.netns?.address ?? host,
          netns: d.netns?.netns,
          partsDir,
          tlsDir,
          backend: d.backend,
          threads: o.threads,
          profile: d.profile,
          medium: d.link?.shared ? mediumAddr(d.link.medium) : undefined,
          linkMbps: d.link && !d.link.shared ? d.link.mbps : undefined,
          memoryBudgetBytes: d.memoryBudgetBytes,
          detached: await logFd(d.id),
        });
        started.push(a);
        return { device: d, agent: a };
      }),
    );
    const endpoints: FarmEndpoints = {
      version: 1,
      emulated: o.devices.some((d) => d.profile !== null),
      tlsDir,
      coordinatorId: COORDINATOR_ID,
      partsDir,
      devices: agents.map(({ device, agent }) => ({
        id: device.id,
        profile: device.profile ?? 'x86-laptop',
        host: agent.host,
        port: agent.port,
        pid: agent.pid,
      })),
      airtime,
    };
    const cl = o.coordinatorLink;
    return {
      endpoints,
      agents: agents.map(({ device, agent }) => ({
        id: device.id,
        host: agent.host,
        port: agent.port,
        profile: device.profile,
      })),
      coordinator: { id: COORDINATOR_ID, tls: { ca: ca.cert, cert: coord.cert, key: coord.key } },
      coordinatorLink: async () => {
        if (!cl) return null;
        if (!cl.shared) return portLink(cl.mbps);
        const m = airtime.find((x) => x.id === cl.medium);
        return m ? mediumLink(m.host, m.port) : null;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Stops the processes a farm file lists (the virtual farm's, by their recorded pids), checking
 * first that each pid is still one of our agents and not a stranger that reused the number.
 */
export async function stopFarmProcesses(f: FarmEndpoints): Promise<number> {
  const pids = [...f.devices.map((d) => d.pid), ...f.airtime.map((m) => m.pid)].filter(
    (p): p is number => p !== undefined,
  );
  // Off Linux nothing can say (null): those are stopped, and stopProcess copes with one gone.
  const checked = await Promise.all(
    pids.map(async (p) => ((await isOurAgent(p)) !== false ? p : null)),
  );
  const ours = checked.filter((p): p is number => p !== null);
  await Promise.all(ours.map((p) => stopProcess(p)));
  return ours.length;
}

export interface DeviceStatus {
  id: string;
  profile: string;
  host: string;
  port: number;
  pid: number | null;
  alive: boolean;
  backend: string | null;
  runId: string | null;
  uptimeMs: number | null;
  readings: BoardReadings | null;
}

/** Pings every agent of a farm (health ping over the real protocol, 3 s each at most). */
export async function farmStatus(
  f: FarmEndpoints,
  identity: { tls: TlsMaterial },
): Promise<DeviceStatus[]> {
  return Promise.all(
    f.devices.map(async (d) => {
      const base = { id: d.id, profile: d.profile, host: d.host, port: d.port, pid: d.pid ?? null };
      let client: PeerClient | null = null;
      try {
        client = await PeerClient.connect(d, { tls: identity.tls, timeoutMs: 3000 });
        const c = client;
        const h = await new Promise<Health>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no answer')), 3000);
          c.ping(Date.now())
            .then(resolve, reject)
            .finally(() => clearTimeout(t));
        });
        const readings = await readingsOf(c);
        return {
          ...base,
          alive: true,
          backend: h.backend,
          runId: h.runId,
          uptimeMs: h.uptimeMs,
          readings,
        };
      } catch {
        return {
          ...base,
          alive: false,
          backend: null,
          runId: null,
          uptimeMs: null,
          readings: null,
        };
      } finally {
        client?.close();
      }
    }),
  );
}

export async function removeFarmDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
