// A board's own state, as read from the board over SSH (not as this session remembers doing
// things to it): the agent installed there, its service, the part files it holds and when the
// board last answered. The app keeps the last reading in the data folder, so the Farm table
// shows it after a restart; reboot, shut down and uninstall act on one board or many.
import { z } from 'zod';
import { ErrorDetails } from './errors';

export const BoardService = z.object({
  mode: z.enum(['systemd-user', 'systemd-system', 'background']),
  /** systemd's word (active, inactive, failed, ...) or the background mode's active/inactive. */
  state: z.string().max(64),
});
export type BoardService = z.infer<typeof BoardService>;

export const BoardState = z.object({
  /** The agent provisioning installed (app version + bundle sha256), null when none is. */
  agentVersion: z.string().max(128).nullable(),
  /** Null when no agent service is installed. */
  service: BoardService.nullable(),
  /** Partition files in the board's parts folder (named by their sha256). */
  parts: z.array(z.object({ file: z.string().max(255), bytes: z.number().int().min(0) })),
  /** When the board last answered (ISO 8601). */
  lastSeen: z.iso.datetime(),
  /** What was last done to it from here, when that is what it is doing now. */
  power: z.enum(['rebooting', 'shut down']).nullable(),
});
export type BoardState = z.infer<typeof BoardState>;

export const BOARD_ACTIONS = ['reboot', 'shutdown', 'uninstall'] as const;
export const BoardAction = z.enum(BOARD_ACTIONS);
export type BoardAction = z.infer<typeof BoardAction>;

/** How the app's confirmation dialog and the CLI's question word each action. */
export const BOARD_ACTION_WORDS: Record<
  BoardAction,
  { verb: string; button: string; consequence: string }
> = {
  reboot: {
    verb: 'Reboot',
    button: 'Reboot',
    consequence: 'Runs on them stop; their agent service starts again at boot.',
  },
  shutdown: {
    verb: 'Shut down',
    button: 'Shut down',
    consequence: 'They stay off until someone switches them on at the board.',
  },
  uninstall: {
    verb: 'Uninstall the agent from',
    button: 'Uninstall',
    consequence:
      'The agent, its service and the parts it holds are deleted; provision them to put it back.',
  },
};

/** One board's outcome of a refresh or an action: its own failure never stops the others. */
export const BoardResult = z.object({
  name: z.string(),
  status: z.enum(['ok', 'failed']),
  /** The AppError code when it failed (HOST_KEY_UNKNOWN, AUTH_FAILED, BOARD_REFUSED, ...). */
  code: z.string().nullable(),
  message: z.string(),
  /** The failure's own fields (the host key presented, ...), for the codes that have them. */
  details: ErrorDetails.nullable(),
  /** The state remembered for the board afterwards. */
  state: BoardState.nullable(),
});
export type BoardResult = z.infer<typeof BoardResult>;

/** A board's remembered state in one line: the Farm table's Status and `mchair devices list`. */
export function describeBoardState(s: BoardState | null): string {
  if (s === null) return 'not read from the board yet';
  const seen = `seen ${new Date(s.lastSeen).toLocaleString()}`;
  if (s.power) return `${s.power} (${seen})`;
  if (!s.service) return `no agent installed (${seen})`;
  const mib = s.parts.reduce((n, p) => n + p.bytes, 0) / 2 ** 20;
  const parts =
    s.parts.length === 0
      ? 'no parts'
      : `${s.parts.length} ${s.parts.length === 1 ? 'part' : 'parts'} (${mib.toFixed(1)} MiB)`;
  return `agent ${s.agentVersion ?? '(version unknown)'}, ${s.service.state} (${s.service.mode}), ${parts}, ${seen}`;
}
