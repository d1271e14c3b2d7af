// The virtual farm: agents as local processes with device emulation. Each agent computes for
// real and holds results until its profile's time has passed (the coordinator sends the per-part
// times with the deployment); its messages are paced to its link: a shared medium's airtime
// service (all Pis on one Wi-Fi share ~40 Mbit/s) or its own switched port. The protocol, TLS,
// planner and runtime are the real ones. Every figure it yields is labelled emulated.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Health,
  type Link,
  mediumLink,
  PeerClient,
  portLink,
  type TlsMaterial,
} from '../../remote-agent/src/protocol/index';
import type { Farm, Medium } from '../planner/index';
import type { Board } from '../shared/board';
import type { BoardReadings } from '../contract/farm';
import type { FarmEndpoints } from './farmfile';
import { readingsOf } from './readings';
import { writeFileAtomic } from '../store/atomic';
import { isOurAgent, startLocalAgent, startMedium, stopProcess, type LocalAgent } from './local';
import { createFarmCa, issueIdentity, writeIdentity, type Identity } from './pki';
import { AppError } from '../contract/index';

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
    // The CA key is never written into the folder the agents read their own keys from. A
    // farm that outlives this process keeps it beside that folder, owner-only, so boards can be
    // added to it later (`mchair farm add`); any other farm issues every identity here and now.
    const ca = await createFarmCa(o.dir);
    if (o.detached) await writeFileAtomic(farmCaKeyPath(o.dir), ca.key, 0o600);
    const coord = await issueIdentity(ca, COORDINATOR_ID, [host]);
    await writeIdentity(tlsDir, COORDINATOR_ID, ca.cert, coord);
    const shared = new Map<string, number>();
    for (const l of [o.coordinatorLink, ...o.devices.map((d) => d.link)])
      if (l?.shared) shared.set(l.medium, l.mbps);
    const agents = await startBoards(
      { dir: o.dir, ca, host, detached: o.detached, threads: o.threads, airtime },
      shared,
      o.devices,
      started,
    );
    const endpoints: FarmEndpoints = {
      version: 1,
      emulated: o.devices.some((d) => d.profile !== null),
      tlsDir,
      coordinatorId: COORDINATOR_ID,
      partsDir,
      devices: agents.map(farmFileEntry),
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

/** A started board as its farm file lists it (a board at this machine's speed says x86-laptop). */
function farmFileEntry(b: {
  device: FarmDeviceSpec;
  agent: LocalAgent;
}): FarmEndpoints['devices'][number] {
  return {
    id: b.device.id,
    profile: b.device.profile ?? 'x86-laptop',
    host: b.agent.host,
    port: b.agent.port,
    pid: b.agent.pid,
  };
}

/** Where a farm that outlives its start keeps its CA key (beside tls/, never in it). */
export const farmCaKeyPath = (dir: string): string => join(dir, 'ca.key');

interface FarmPlace {
  dir: string;
  ca: Identity;
  host: string;
  detached: boolean;
  threads?: number;
  /** The farm's shared media running so far; media started here are added to it. */
  airtime: FarmEndpoints['airtime'];
}

/**
 * Starts boards in a farm's folder: each one's identity issued by the farm CA, the shared media
 * `shared` names that are not running yet started, then one agent per device. Every process
 * started goes into `started` (the caller stops them all if anything fails).
 */
async function startBoards(
  f: FarmPlace,
  shared: ReadonlyMap<string, number>,
  devices: readonly FarmDeviceSpec[],
  started: LocalAgent[],
): Promise<Array<{ device: FarmDeviceSpec; agent: LocalAgent }>> {
  const tlsDir = join(f.dir, 'tls');
  // A detached process writes its log to a file it holds itself (spawn hands it a copy of the
  // descriptor), so ours is closed once it has started: left open, every `farm up` in serve or
  // the app leaked one descriptor per board until the garbage collector closed it, warning.
  const withLog = async <T>(
    name: string,
    start: (detached: { logFd: number } | undefined) => Promise<T>,
  ): Promise<T> => {
    if (!f.detached) return start(undefined);
    const log = await open(join(f.dir, 'logs', `${name}.log`), 'a');
    try {
      return await start({ logFd: log.fd });
    } finally {
      await log.close();
    }
  };
  for (const d of devices)
    await writeIdentity(
      tlsDir,
      d.id,
      f.ca.cert,
      await issueIdentity(f.ca, d.id, [d.netns?.address ?? f.host]),
    );
  for (const [id, mbps] of shared) {
    if (f.airtime.some((m) => m.id === id)) continue;
    const m = await withLog(`medium-${id}`, (detached) => startMedium(mbps, detached, f.host));
    started.push(m);
    f.airtime.push({ id, host: m.host, port: m.port, pid: m.pid });
  }
  const mediumAddr = (id: string) => {
    const m = f.airtime.find((x) => x.id === id);
    return m ? `${m.host}:${m.port}` : undefined;
  };
  return Promise.all(
    devices.map(async (d) => {
      const a = await withLog(d.id, (detached) =>
        startLocalAgent({
          id: d.id,
          host: d.netns?.address ?? f.host,
          netns: d.netns?.netns,
          partsDir: join(f.dir, 'parts'),
          tlsDir,
          backend: d.backend,
          threads: f.threads,
          profile: d.profile,
          medium: d.link?.shared ? mediumAddr(d.link.medium) : undefined,
          linkMbps: d.link && !d.link.shared ? d.link.mbps : undefined,
          memoryBudgetBytes: d.memoryBudgetBytes,
          detached,
        }),
      );
      started.push(a);
      return { device: d, agent: a };
    }),
  );
}

/**
 * Starts more emulated boards in a running detached farm (`mchair farm add`) and writes its farm
 * file anew, atomically, with them: a run following the file takes them in (runtime/join.ts).
 * The caller holds the farm's lock. Returns the farm file as written.
 */
export async function addEmulatedBoards(
  dir: string,
  file: string,
  farm: FarmEndpoints,
  devices: readonly FarmDeviceSpec[],
): Promise<FarmEndpoints> {
  let key: string;
  try {
    key = await readFile(farmCaKeyPath(dir), 'utf8');
  } catch {
    throw new AppError(
      'FARM_CA_KEY_MISSING',
      `this virtual farm keeps no CA key in ${dir} (started before boards could be added): stop it and start it again`,
    );
  }
  const ca = { cert: await readFile(join(farm.tlsDir, 'ca.pem'), 'utf8'), key };
  const started: LocalAgent[] = [];
  const airtime = [...farm.airtime];
  const shared = new Map<string, number>();
  for (const d of devices) if (d.link?.shared) shared.set(d.link.medium, d.link.mbps);
  try {
    const host = farm.devices[0]?.host ?? '127.0.0.1';
    const added = await startBoards(
      { dir, ca, host, detached: true, threads: 1, airtime },
      shared,
      devices,
      started,
    );
    const grown: FarmEndpoints = {
      ...farm,
      devices: [...farm.devices, ...added.map(farmFileEntry)],
      airtime,
    };
    await writeFileAtomic(file, `${JSON.stringify(grown, null, 2)}\n`);
    return grown;
  } catch (err) {
    await Promise.allSettled(started.map((p) => p.stop()));
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

export interface BoardStatus {
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
): Promise<BoardStatus[]> {
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
