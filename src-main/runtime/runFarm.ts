// The farm a run goes on, opened: an emulated one started for it (boards a fault will cut in
// network namespaces of their own where this machine allows), a farm file's agents already
// running, or the lab's provisioned boards; with what the run needs of it (agents, identity,
// where parts go, the coordinator's emulated link) and how to stop what was started.
import { startEphemeralFarm } from '../farm/ephemeral';
import type { FarmEndpoints, OpenFarm } from '../farm/farmfile';
import { placeParts } from '../farm/parts';
import { canIsolateBoards, openBoardNetwork, type BoardNetwork } from '../farm/netns';
import { emulatedDevices } from '../farm/virtual';
import type { Manifest } from '../contract/manifest';
import type { Farm } from '../planner/index';
import { mediumLink, portLink, type Link } from '../../remote-agent/src/medium';
import type { TlsMaterial } from '../../remote-agent/src/protocol/endpoint';
import { openBoardFarm, type RunBoards } from './boardFarm';
import type { FarmAgent } from './coordinator';

export interface Farmed {
  agents: FarmAgent[];
  coordinator: { id: string; tls: TlsMaterial };
  /** Puts a manifest's parts where the agents `assignment` names read them; the manifest as placed. */
  place(manifest: Manifest, fromDir: string, assignment: string[][][]): Promise<Manifest>;
  link: Link | null;
  emulated: boolean;
  /** The farm file's view of a local farm; null for boards elsewhere (never restarted from here). */
  endpoints: FarmEndpoints | null;
  /** This process started the farm: it can start a killed agent again. */
  own: boolean;
  /** Boards in network namespaces of their own (farm/netns.ts): a restart goes back in. */
  netns: Map<string, string>;
  /** This machine's link to those boards, cut by an outage (farm/netns.ts); null without them. */
  uplink: { name: string; carrier(state: 'up' | 'down'): Promise<void> } | null;
  stop(): Promise<void>;
}

/**
 * `isolate`: boards a chaos cut will hit. On an emulated farm they run in network namespaces of
 * their own where this machine allows it, so the cut sets a real link down.
 */
export async function openFarm(
  planner: Farm,
  file: OpenFarm | null,
  isolate: string[],
  say?: (line: string) => void,
): Promise<Farmed> {
  if (!file) {
    const { devices, coordinatorLink } = emulatedDevices(planner);
    const net = await isolatedBoards(isolate, say);
    try {
      const f = await startEphemeralFarm({
        agents: devices.map((d) => ({ ...d, netns: net?.boards.get(d.id) })),
        coordinatorLink,
        // Emulated boards are slower than this machine: one thread each keeps the cores shared.
        threads: 1,
        host: net?.host,
      });
      return {
        agents: f.agents,
        coordinator: f.coordinator,
        place: (m, dir) => placeParts(m, dir, f.partsDir),
        link: await f.coordinatorLink(),
        emulated: true,
        endpoints: f.endpoints,
        own: true,
        netns: new Map([...(net?.boards ?? [])].map(([id, b]) => [id, b.netns])),
        uplink: net ? { name: net.uplink, carrier: net.carrier } : null,
        stop: async () => {
          try {
            await f.stop();
          } finally {
            await net?.close();
          }
        },
      };
    } catch (err) {
      await net?.close();
      throw err;
    }
  }
  const open = file;
  const c = planner.coordinator;
  let link: Link | null = null;
  if (open.farm.emulated) {
    const m = open.farm.airtime.find((x) => x.id === c.id);
    link = c.kind === 'shared' && m ? await mediumLink(m.host, m.port) : portLink(c.mbps);
  }
  return {
    agents: open.farm.devices.map((d) => ({
      id: d.id,
      host: d.host,
      port: d.port,
      profile: open.farm.emulated ? d.profile : null,
    })),
    coordinator: open.coordinator,
    place: (m, dir) => placeParts(m, dir, open.farm.partsDir),
    link,
    emulated: open.farm.emulated,
    endpoints: open.farm,
    own: false,
    netns: new Map(),
    uplink: null,
    stop: async () => link?.close(),
  };
}

/** Boards to cut in namespaces of their own when this machine allows it; says which way it went. */
async function isolatedBoards(
  ids: string[],
  say?: (line: string) => void,
): Promise<BoardNetwork | null> {
  if (ids.length === 0) return null;
  if (!(await canIsolateBoards())) {
    say?.(
      `${ids.join(', ')}: a cut stops the agent's process (SIGSTOP): network namespaces need root and ip, nsenter, unshare`,
    );
    return null;
  }
  let net: BoardNetwork;
  try {
    net = await openBoardNetwork(ids);
  } catch (err) {
    // The run goes on with the SIGSTOP cut rather than failing over its test harness.
    say?.(
      `${ids.join(', ')}: a cut stops the agent's process (SIGSTOP): no network namespaces here (${(err as Error).message.split('\n')[0]})`,
    );
    return null;
  }
  say?.(
    `${ids.join(', ')} in network namespaces of their own on ${net.subnet} (this machine ${net.host}, link ${net.uplink}): a cut sets the link down`,
  );
  return net;
}

/** The lab's provisioned boards as a farm: agents already running, parts pushed over SSH. */
export async function openBoards(
  boards: RunBoards,
  labDir: string,
  signal?: AbortSignal,
  say?: (line: string) => void,
): Promise<Farmed> {
  const b = await openBoardFarm(boards, labDir, signal, say);
  return {
    ...b,
    link: null,
    emulated: false,
    endpoints: null,
    own: false,
    netns: new Map(),
    uplink: null,
    stop: async () => undefined,
  };
}
