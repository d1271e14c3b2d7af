// The contract's commands that connect to the inventory's boards over SSH and report one line of
// outcome per board: probe, the agent's service, its log, reboot, shut down, uninstall (the Farm
// view's actions and `mchair devices ...`). Kept beside commands.ts, which spreads them in.
import { z } from 'zod';
import { command } from './define';
import { BoardAction, BoardResult } from './boards';
import { ErrorDetails } from './errors';
import { HostKeyFingerprint } from './provision';

/** The user's answers to a HOST_KEY_UNKNOWN: keys to remember, and keys to trust this time only. */
export const HostKeyAnswers = {
  confirmed: z.array(HostKeyFingerprint).max(256).default([]),
  acceptedOnce: z.array(HostKeyFingerprint).max(256).default([]),
};

/**
 * How the CLI reaches boards: --accept-new trusts and remembers keys never seen before (changed
 * keys are still refused), --inventory names another inventory file.
 */
const CliReach = {
  acceptNew: z.boolean().default(false),
  inventory: z.string().min(1).max(4096).optional(),
};

const BoardNames = z.array(z.string().min(1).max(64)).max(256);

/** A board that failed, as every adapter carries errors. */
const BoardFailure = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  board: z.string().nullable().optional(),
  details: ErrorDetails.nullable().optional(),
});

const ServiceMode = z.enum(['systemd-user', 'systemd-system', 'background']);

/** What a board is (provision/probe.ts reads it) and what the lab would run on it. */
export const ProbeReport = z.object({
  device: z.string(),
  probe: z.object({
    machine: z.string(),
    arch: z.string(),
    cpuModel: z.string().nullable(),
    cores: z.number().nullable(),
    memTotalBytes: z.number().nullable(),
    diskFreeBytes: z.number().nullable(),
    os: z.object({
      id: z.string().nullable(),
      versionId: z.string().nullable(),
      prettyName: z.string().nullable(),
    }),
    glibc: z.string().nullable(),
    nodeVersion: z.string().nullable(),
    nodePath: z.string().nullable(),
    board: z.string().nullable(),
    tegraRelease: z.string().nullable(),
    systemdUser: z.boolean(),
    xz: z.boolean(),
    emulated: z.boolean(),
    sudo: z.boolean(),
    home: z.string(),
  }),
  verdict: z.object({
    profile: z.string(),
    runtime: z.enum(['native', 'wasm']),
    nodeMajor: z.number(),
    node: z.union([
      z.object({ action: z.literal('use'), path: z.string() }),
      z.object({
        action: z.literal('push'),
        tarball: z.object({
          file: z.string(),
          arch: z.string(),
          version: z.string().nullable(),
          compression: z.enum(['gzip', 'xz']),
          nodeBytes: z.number(),
          source: z.enum(['app', 'given']),
        }),
      }),
      z.object({ action: z.literal('missing') }),
    ]),
    notes: z.array(z.string()),
    /** Why provisioning cannot go on, when it cannot. */
    problem: z.object({ code: z.string(), message: z.string() }).nullable(),
  }),
});

export const boardCommands = {
  'devices/probe': command(
    'Connect to boards (every one when no name is given) and say what each is and what it can run; a board that fails says why.',
    z.object({ names: BoardNames.default([]), ...CliReach }).strict(),
    z.object({
      devices: z.array(
        z.union([ProbeReport, z.object({ device: z.string(), error: BoardFailure })]),
      ),
    }),
  ),
  'devices/service': command(
    "Start, stop, restart, report on or uninstall the agent's service on boards (every one when no name is given).",
    z
      .object({
        action: z.enum(['start', 'stop', 'restart', 'status', 'uninstall']),
        names: BoardNames.default([]),
        ...CliReach,
      })
      .strict(),
    z.object({
      devices: z.array(
        z.union([
          z.object({ name: z.string(), mode: ServiceMode, state: z.string() }),
          z.object({ name: z.string(), error: BoardFailure }),
        ]),
      ),
    }),
  ),
  'devices/refresh': command(
    "Read boards' own state again over SSH (agent version, service, parts held) and remember it in the data folder; every board when no name is given.",
    z.object({ names: BoardNames.default([]), ...HostKeyAnswers }).strict(),
    z.object({ devices: z.array(BoardResult) }),
  ),
  'devices/act': command(
    'Reboot or shut down boards, or uninstall their agent (the page asks for confirmation first).',
    z
      .object({
        action: BoardAction,
        names: BoardNames.min(1, 'name at least one board'),
        ...HostKeyAnswers,
        ...CliReach,
      })
      .strict(),
    z.object({ devices: z.array(BoardResult) }),
  ),
  'devices/logs': command(
    "The last lines of a provisioned board's agent log (its service journal or log file).",
    z
      .object({
        name: z.string().min(1).max(64),
        lines: z.number().int().min(1).max(100_000).default(200),
        ...CliReach,
      })
      .strict(),
    z.object({ mode: ServiceMode, text: z.string() }),
  ),
} as const;
