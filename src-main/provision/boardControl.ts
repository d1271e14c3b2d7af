// A provisioned board as the board itself tells it: the agent version provisioning recorded, its
// service's state, the part files it holds; and the board's own power: reboot and shut down.
// The Farm view and `mchair devices reboot|shutdown|uninstall` act through here.
import { AppError } from '../contract/errors';
import type { BoardAction, BoardResult, BoardState } from '../contract/boards';
import { defaultBoardStatesPath, saveBoardStates } from '../inventory/boardStates';
import type { BoardRecord } from '../inventory/boardRecord';
import type { Connector } from '../ssh/connector';
import { shQuote } from '../ssh/quote';
import type { SshSession } from '../ssh/session';
import { controlService } from './service';

const VERSION_FILE = 'agent-version';

function inDir(device: BoardRecord, script: string): string {
  return `cd -- ${shQuote(device.remoteDir)} && { ${script}; }`;
}

/** Written after the agent starts, so a board says which agent it runs without a new push. */
export async function recordAgentVersion(
  session: SshSession,
  device: BoardRecord,
  version: string,
): Promise<void> {
  await session.run(
    inDir(device, `printf '%s\\n' ${shQuote(version)} > ${VERSION_FILE}`),
    'recording the agent version',
  );
}

/** Reads what the board holds now, on a session already open, and remembers it (provisioning). */
export async function rememberBoardState(
  session: SshSession,
  device: BoardRecord,
  dataDir: string,
): Promise<void> {
  const state = await readBoardState(session, device);
  await saveBoardStates(defaultBoardStatesPath(dataDir), new Map([[device.name, state]]));
}

/** One line per part file: `BYTES NAME` (find's -printf is GNU; stat -c is both GNU and busybox). */
const LIST_PARTS = `for f in parts/*.onnx; do [ -f "$f" ] && stat -c '%s %n' -- "$f"; done; true`;

/** What the board holds and runs now; a board without our agent has every field empty. */
export async function readBoardState(
  session: SshSession,
  device: BoardRecord,
): Promise<BoardState> {
  const lastSeen = new Date().toISOString();
  const installed = await session.exec(inDir(device, 'test -f service-mode'));
  if (installed.code !== 0)
    return { agentVersion: null, service: null, parts: [], lastSeen, power: null };
  const [service, version, parts] = await Promise.all([
    controlService(session, device, 'status'),
    session.exec(inDir(device, `cat ${VERSION_FILE} 2>/dev/null; true`)),
    session.exec(inDir(device, LIST_PARTS)),
  ]);
  return {
    agentVersion: version.stdout.trim().split('\n')[0] || null,
    service,
    parts: parts.stdout
      .split('\n')
      .map((l) => /^(\d+) parts\/(.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: m[2] as string, bytes: Number(m[1]) })),
    lastSeen,
    power: null,
  };
}

/**
 * systemd's reboot or poweroff, through sudo where it needs no password (a system user's usual
 * right), else as the user (logind lets a user of a one-seat board do it); boards without
 * systemd get `shutdown`. The command is sent and the board is left to go down: a connection
 * that drops before the command's exit status is a board doing what it was told.
 */
export async function powerBoard(
  session: SshSession,
  device: BoardRecord,
  action: 'reboot' | 'shutdown',
): Promise<void> {
  const [systemd, fallback] =
    action === 'reboot'
      ? ['systemctl reboot', 'shutdown -r now']
      : ['systemctl poweroff', 'shutdown -h now'];
  const script = [
    `if command -v systemctl >/dev/null 2>&1; then c=${shQuote(systemd)}; else c=${shQuote(fallback)}; fi`,
    'if sudo -n true 2>/dev/null; then sudo -n $c; else $c; fi',
  ].join('\n');
  const r = await session.exec(script);
  if (r.code === 0 || r.code === -1) return;
  const why = (r.stderr.trim() || r.stdout.trim()).split('\n').at(-1) || `exit ${r.code}`;
  throw new AppError(
    'BOARD_REFUSED',
    `${device.name} refused to ${action === 'reboot' ? 'reboot' : 'shut down'} (${why}); give ${device.user} passwordless sudo for systemctl on the board, or do it there`,
  );
}

/** Removes the agent, its service and its folder (controlService's uninstall). */
export async function uninstallAgent(session: SshSession, device: BoardRecord): Promise<void> {
  await controlService(session, device, 'uninstall');
}

/** What the Farm view and the CLI do to boards: an action, or reading their state again. */
export type BoardTask = BoardAction | 'refresh';

async function perform(
  session: SshSession,
  device: BoardRecord,
  task: BoardTask,
): Promise<BoardState> {
  switch (task) {
    case 'refresh':
      return readBoardState(session, device);
    case 'uninstall':
      await uninstallAgent(session, device);
      return readBoardState(session, device);
    case 'reboot':
    case 'shutdown': {
      // Read first: the board will not answer for a while once told.
      const before = await readBoardState(session, device);
      await powerBoard(session, device, task);
      return { ...before, power: task === 'reboot' ? 'rebooting' : 'shut down' };
    }
  }
}

/**
 * Does `task` on every board at once (one board's failure is its own result) and remembers what
 * each board said in the data folder's board states; a board that failed keeps its last state.
 */
export async function actOnBoards(
  connector: Connector,
  devices: readonly BoardRecord[],
  task: BoardTask,
  statesPath: string,
): Promise<BoardResult[]> {
  const done = await connector.each(devices, (s, d) => perform(s, d, task));
  const states = await saveBoardStates(
    statesPath,
    new Map(done.flatMap((r) => (r.ok ? [[r.device, r.value] as const] : []))),
  );
  return done.map((r) => ({
    name: r.device,
    status: r.ok ? 'ok' : 'failed',
    code: r.ok ? null : r.error.code,
    message: r.ok ? DONE[task] : r.error.message,
    details: r.ok ? null : (r.error.details ?? null),
    state: states.get(r.device) ?? null,
  }));
}

const DONE: Record<BoardTask, string> = {
  refresh: 'read from the board',
  reboot: 'rebooting',
  shutdown: 'shutting down',
  uninstall: 'agent uninstalled',
};
