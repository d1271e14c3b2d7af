// The farm a run goes to, as one of three kinds the caller picks (`mchair run --emulate | --farm |
// --devices`, the app's Run view): emulated boards started for the run, a farm file's farm (the
// lab's virtual farm, or one from `mchair farm up`), or the lab's provisioned boards. Each kind is
// seen by the planner first (before any process starts), then opened for the run.
import { startEphemeralFarm } from '../farm/ephemeral';
import { readFarmFile, type FarmEndpoints, type OpenFarm } from '../farm/farmfile';
import { canIsolateBoards, openBoardNetwork, type BoardNetwork } from '../farm/netns';
import { placeParts } from '../farm/parts';
import { emulatedDevices } from '../farm/virtual';
import { farmFromFile, farmFromSpec, type Farm } from '../planner/index';
import { mediumLink, portLink, type Link } from '../../remote-agent/src/protocol/index';
import type { Manifest } from '../contract/manifest';
import type { TlsMaterial } from '../../remote-agent/src/protocol/index';
import { boardsPlannerFarm, openBoardFarm, type RunBoards } from './boardFarm';
import type { Board } from '../shared/board';
import type { Assignment } from './deployment';

/** Where a run's frames go. */
export type FarmChoice =
  /** Emulated boards by profile and count (e.g. "pi3:6"), started for this run only. */
  | { kind: 'emulate'; spec: string }
  /** A farm that is up, by its farm file. */
  | { kind: 'file'; file: string }
  /** Provisioned boards of the lab's inventory: the plan's parts are pushed to them over SSH. */
  | { kind: 'boards'; boards: RunBoards };

/** A farm as the planner sees it, with what opening it needs. */
export type SeenFarm = { planner: Farm } & (
  { kind: 'emulate' } | { kind: 'file'; open: OpenFarm } | { kind: 'boards'; boards: RunBoards }
);

/** A farm ready for a run: its agents answer, its parts can be placed. */
export interface ReadyFarm {
  agents: Board[];
  coordinator: { id: string; tls: TlsMaterial };
  /** Puts a manifest's parts where the boards `assignment` names read them; the manifest as placed. */
  place(manifest: Manifest, fromDir: string, assignment: Assignment): Promise<Manifest>;
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

/** The farm as the planner sees it, before any process starts. */
export async function seeFarm(choice: FarmChoice): Promise<SeenFarm> {
  switch (choice.kind) {
    case 'emulate':
      return { kind: 'emulate', planner: farmFromSpec(choice.spec) };
    case 'boards':
      return {
        kind: 'boards',
        planner: boardsPlannerFarm(choice.boards.devices),
        boards: choice.boards,
      };
    case 'file': {
      const open = await readFarmFile(choice.file);
      return { kind: 'file', planner: farmFromFile(open.json, choice.file), open };
    }
  }
}

/** What opening a farm needs besides the farm. */
export interface OpenOptions {
  /** Boards a chaos cut will hit (see openEmulated). */
  isolate: string[];
  /** The lab's data folder, whose CA the lab's boards trust. */
  labDir: string;
  signal?: AbortSignal;
  say?(line: string): void;
}

export async function openFarm(seen: SeenFarm, o: OpenOptions): Promise<ReadyFarm> {
  switch (seen.kind) {
    case 'emulate':
      return openEmulated(seen.planner, o.isolate, o.say);
    case 'file':
      return openFarmFile(seen.planner, seen.open);
    case 'boards':
      return openBoardFarm(seen.boards, o.labDir, o.signal, o.say);
  }
}

/**
 * `isolate`: boards a chaos cut will hit. On an emulated farm they run in network namespaces of
 * their own where this machine allows it, so the cut sets a real link down.
 */
async function openEmulated(
  planner: Farm,
  isolate: string[],
  say?: (line: string) => void,
): Promise<ReadyFarm> {
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

async function openFarmFile(planner: Farm, open: OpenFarm): Promise<ReadyFarm> {
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
