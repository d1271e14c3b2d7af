// A run on the lab's provisioned boards (the inventory, reached over SSH): the farm as the
// planner sees it (each board's profile), the agents and the coordinator's identity from the lab
// CA that provisioning used, and the plan's parts pushed over SFTP to the boards that run them
// (provision/runParts.ts) where a virtual farm's parts are only placed in a local folder.
import { AppError } from '../contract/errors';

import type { BoardRecord } from '../inventory/boardRecord';
import { farmFromFile, type Farm } from '../planner/index';
import { provisionedFarm } from '../provision/farm';
import { pushRunParts, type RunBoards } from '../provision/runParts';
import type { Board } from '../shared/board';
import type { ReadyFarm } from './runFarm';
import type { FarmTargets } from './targets';
import { addressTowards } from './targets';

export type { RunBoards } from '../provision/runParts';

/**
 * The lab's boards as the planner sees them (the Plan view and runs on them): a board without a
 * profile (board type) cannot be planned on.
 */
export function boardsPlannerFarm(devices: readonly BoardRecord[]): Farm {
  if (devices.length === 0)
    throw new AppError(
      'FARM_EMPTY',
      'the farm has no boards yet: add some on the Farm view, or plan for a virtual farm',
    );
  const unprofiled = devices.filter((d) => !d.profile).map((d) => d.name);
  if (unprofiled.length > 0) {
    const them = unprofiled.length === 1 ? 'it' : 'them';
    throw new AppError(
      'PROFILE_MISSING',
      `${unprofiled.join(', ')} ${unprofiled.length === 1 ? 'has' : 'have'} no board type yet: probe ${them}, or add ${them} again with a board chosen (\`mchair devices add ... --profile pi4 --replace\`)`,
    );
  }
  return farmFromFile(
    { devices: devices.map((d) => ({ id: d.name, profile: d.profile })) },
    'the inventory',
  );
}

/** How often a board's push says how far it is: a line a second is plenty on a terminal. */
const PROGRESS_EVERY_MS = 1000;

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

/**
 * `say`: per board and placement, how far its push is (once a second while it lasts) and what
 * it was sent (the CLI prints these lines; the app shows them while the run starts).
 */
export async function openBoardFarm(
  boards: RunBoards,
  dataDir: string,
  signal?: AbortSignal,
  say?: (line: string) => void,
): Promise<ReadyFarm> {
  // The boards reach the coordinator's sink at this machine's address towards them, which its
  // certificate must name.
  const here = await addressTowardsBoards(boards.devices);
  const farm = await provisionedFarm(boards.devices, dataDir, [here]);
  return {
    ...farm,
    // Boards elsewhere: no emulated link, no farm file, nothing to restart or stop from here.
    link: null,
    emulated: false,
    endpoints: null,
    own: false,
    netns: new Map(),
    uplink: null,
    stop: async () => undefined,
    place: async (manifest, fromDir, assignment) => {
      const pushed = await pushRunParts(manifest, fromDir, assignment, boards, {
        ...(signal ? { signal } : {}),
        ...(say ? { onProgress: progressLines(say) } : {}),
      });
      for (const [device, { files, bytes }] of pushed.sent)
        say?.(
          files === 0
            ? `${device}: its part files are there already`
            : `${device}: ${files} part ${files === 1 ? 'file' : 'files'} sent (${mib(bytes)} MiB)`,
        );
      return pushed.manifest;
    },
  };
}

/** This machine's address towards the first board whose agent answers (none: the user's to fix). */
async function addressTowardsBoards(devices: readonly BoardRecord[]): Promise<string> {
  for (const d of devices) {
    const here = await addressTowards(d.host, d.agentPort).catch(() => null);
    if (here) return here;
  }
  const names = devices.map((d) => d.name).join(' ');
  throw new AppError(
    'UNREACHABLE',
    `no agent answers on ${devices.map((d) => `${d.name} (${d.host}:${d.agentPort})`).join(', ')}; provision the boards (\`mchair provision ${names}\`) or start their agents (\`mchair devices service start ${names}\`)`,
  );
}

/**
 * A push's byte progress as lines: per board, one once it has gone on for PROGRESS_EVERY_MS and
 * then one each PROGRESS_EVERY_MS, none at the end (the board's summary line follows).
 */
export function progressLines(
  say: (line: string) => void,
  now: () => number = () => performance.now(),
): (device: string, done: number, total: number) => void {
  const told = new Map<string, number>();
  return (device, done, total) => {
    const t = now();
    const last = told.get(device);
    if (last === undefined) told.set(device, t);
    if (last === undefined || done >= total || t - last < PROGRESS_EVERY_MS) return;
    told.set(device, t);
    say(`${device}: sending part files, ${mib(done)} of ${mib(total)} MiB`);
  };
}

/** Chaos and heartbeat targets of boards elsewhere: pinged, never killed or restarted from here. */
export function boardTargets(agents: readonly Board[]): FarmTargets {
  return {
    targets: agents.map((a) => ({
      peer: { id: a.id, host: a.host, port: a.port },
      pid: null,
      restart: null,
    })),
    stop: async () => undefined,
  };
}
