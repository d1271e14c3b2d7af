// Keeps the agent running on a board: a systemd user unit with linger (the convention: no root
// needed, survives logout and reboot), a system unit when asked and sudo works, or, where there is
// no systemd (containers, minimal images), a supervised background process that restarts the agent
// when it exits but does not come back after a reboot. The mode is recorded on the board, so
// stop/restart/logs later do the right thing without probing again.
import { readFileSync } from 'node:fs';
import { AppError } from '../contract/errors';
import type { BoardRecord } from '../inventory/boardRecord';
import { shCommand, shQuote } from '../ssh/quote';
import type { SshSession } from '../ssh/session';

export type ServiceMode = 'systemd-user' | 'systemd-system' | 'background';
export type ServiceAction = 'start' | 'stop' | 'restart' | 'status' | 'uninstall';

const MODE_FILE = 'service-mode';
const LOG_FILE = 'agent.log';
const PID_FILE = 'agent.pid';

export function unitName(device: BoardRecord): string {
  // One unit per agent port: a big box can host several agents of the farm.
  return `mchair-agent-${device.agentPort}.service`;
}

export function chooseMode(
  p: { systemdUser: boolean; sudo: boolean },
  wantSystem: boolean,
): { mode: ServiceMode; note: string | null } {
  if (!p.systemdUser) {
    return {
      mode: 'background',
      note: 'no systemd on the board: the agent runs as a supervised background process (restarted when it exits, not after a reboot; provision again after one)',
    };
  }
  if (wantSystem && p.sudo) return { mode: 'systemd-system', note: null };
  if (wantSystem)
    return {
      mode: 'systemd-user',
      note: 'sudo needs a password on the board, so a systemd user unit with linger is used instead of a system unit',
    };
  return { mode: 'systemd-user', note: null };
}

/** systemd's own quoting: `%` starts a specifier and `$` a variable unless doubled. */
function systemdWord(s: string): string {
  if (/[\n\r]/.test(s))
    throw new AppError(
      'BAD_PATH',
      `a path with a line break cannot go in a systemd unit: ${JSON.stringify(s)}`,
    );
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

function systemdValue(s: string): string {
  if (/[\n\r]/.test(s))
    throw new AppError(
      'BAD_PATH',
      `a value with a line break cannot go in a systemd unit: ${JSON.stringify(s)}`,
    );
  return s.replace(/%/g, '%%');
}

const TEMPLATE_URL = new URL('../../resources/systemd/mchair-agent.service', import.meta.url);

export interface UnitValues {
  device: string;
  dir: string;
  argv: readonly string[];
  mode: Exclude<ServiceMode, 'background'>;
  user: string;
}

export function renderUnit(v: UnitValues, template = readFileSync(TEMPLATE_URL, 'utf8')): string {
  const values: Record<string, string> = {
    device: systemdValue(v.device),
    dir: systemdValue(v.dir),
    exec: v.argv.map(systemdWord).join(' '),
    user: v.mode === 'systemd-system' ? `User=${systemdValue(v.user)}\n` : '',
    wantedBy: v.mode === 'systemd-system' ? 'multi-user.target' : 'default.target',
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const value = values[k];
    if (value === undefined) throw new Error(`unit template: unknown field {{${k}}}`);
    return value;
  });
}

/** Where a unit file goes, relative to the home folder for a user unit. */
export function unitPath(device: BoardRecord, mode: Exclude<ServiceMode, 'background'>): string {
  return mode === 'systemd-user'
    ? `.config/systemd/user/${unitName(device)}`
    : `/etc/systemd/system/${unitName(device)}`;
}

// `systemctl --user` over a non-login SSH session needs the user's runtime folder named.
const USER_ENV = 'export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}";';

function systemctl(mode: Exclude<ServiceMode, 'background'>, ...args: string[]): string {
  return mode === 'systemd-user'
    ? `${USER_ENV} ${shCommand('systemctl', '--user', ...args)}`
    : shCommand('sudo', '-n', 'systemctl', ...args);
}

function inDir(device: BoardRecord, script: string): string {
  return `cd -- ${shQuote(device.remoteDir)} && { ${script}; }`;
}

/**
 * The supervisor loop of the background mode: its own session, so one signal to the group stops
 * both. (`kill -SIG -PGID`, without `--`, which dash's kill does not take.)
 */
function backgroundStart(argv: readonly string[]): string {
  return [
    `setsid sh -c 'while :; do "$@"; sleep 2; done' sh ${shCommand(...argv)} >> ${LOG_FILE} 2>&1 < /dev/null &`,
    `echo $! > ${PID_FILE}`,
  ].join('\n');
}

const BACKGROUND_STOP = `if [ -f ${PID_FILE} ]; then kill -TERM "-$(cat ${PID_FILE})" 2>/dev/null; i=0; while kill -0 "-$(cat ${PID_FILE})" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; kill -KILL "-$(cat ${PID_FILE})" 2>/dev/null; rm -f ${PID_FILE}; fi; true`;
const BACKGROUND_STATUS = `if [ -f ${PID_FILE} ] && kill -0 "-$(cat ${PID_FILE})" 2>/dev/null; then echo active; else echo inactive; fi`;

function backgroundEnsure(argv: readonly string[], restart: boolean): string {
  return restart
    ? `${BACKGROUND_STOP}\n${backgroundStart(argv)}`
    : `${BACKGROUND_STATUS} | grep -q '^active' || { ${backgroundStart(argv)}\n}`;
}

export interface Installed {
  mode: ServiceMode;
  /** Set when linger could not be enabled: the agent then stops at the user's last logout. */
  lingerNote: string | null;
}

/**
 * Installs the agent as a service and makes sure it runs: restarted when `changed` (new files),
 * otherwise only started if it is not running. `argv` is the full command (node, bundle, flags);
 * for systemd modes the unit file must already be in place (uploaded with the rest).
 */
export async function installService(
  session: SshSession,
  device: BoardRecord,
  mode: ServiceMode,
  argv: readonly string[],
  changed: boolean,
): Promise<Installed> {
  const record = `printf '%s\\n' ${shQuote(mode)} > ${MODE_FILE} && printf '%s\\n' ${shQuote(JSON.stringify(argv))} > argv.json`;
  if (mode === 'background') {
    await session.run(
      inDir(device, `${backgroundEnsure(argv, changed)}\n${record}`),
      'starting the agent in the background',
    );
    return { mode, lingerNote: null };
  }
  let lingerNote: string | null = null;
  if (mode === 'systemd-user') {
    const linger = await session.exec('loginctl enable-linger "$(id -un)"');
    if (linger.code !== 0) {
      lingerNote = `could not enable linger (${linger.stderr.trim().split('\n').at(-1) ?? 'no reason given'}): the agent stops when ${device.user} logs out; run \`sudo loginctl enable-linger ${device.user}\` on the board`;
    }
  }
  const unit = unitName(device);
  await session.run(
    inDir(
      device,
      [
        systemctl(mode, 'daemon-reload'),
        systemctl(mode, 'enable', unit),
        systemctl(mode, changed ? 'restart' : 'start', unit),
        record,
      ].join(' && '),
    ),
    `starting ${unit}`,
  );
  return { mode, lingerNote };
}

async function recordedMode(session: SshSession, device: BoardRecord): Promise<ServiceMode> {
  const r = await session.exec(inDir(device, `cat ${MODE_FILE}`));
  const mode = r.stdout.trim();
  if (mode === 'systemd-user' || mode === 'systemd-system' || mode === 'background') return mode;
  throw new AppError(
    'NOT_PROVISIONED',
    `${device.name} has no agent installed in ${device.remoteDir}; run \`mchair provision ${device.name}\` first`,
  );
}

/** Stops, starts, restarts, reports on or removes the agent; returns its state afterwards. */
export async function controlService(
  session: SshSession,
  device: BoardRecord,
  action: ServiceAction,
): Promise<{ mode: ServiceMode; state: string }> {
  const mode = await recordedMode(session, device);
  const unit = unitName(device);
  if (mode === 'background') {
    const argv =
      action === 'start' || action === 'restart' ? await backgroundArgv(session, device) : [];
    const script: Record<ServiceAction, string> = {
      start: backgroundEnsure(argv, false),
      stop: BACKGROUND_STOP,
      restart: backgroundEnsure(argv, true),
      status: 'true',
      uninstall: BACKGROUND_STOP,
    };
    await session.run(inDir(device, script[action]), `${action} of the agent`);
  } else if (action === 'uninstall') {
    const remove =
      mode === 'systemd-user'
        ? shCommand('rm', '-f', '--', unitPath(device, mode))
        : shCommand('sudo', '-n', 'rm', '-f', '--', unitPath(device, mode));
    await session.run(
      `${systemctl(mode, 'disable', '--now', unit)}; cd && ${remove} && ${systemctl(mode, 'daemon-reload')}`,
      `removing ${unit}`,
    );
  } else if (action !== 'status') {
    await session.run(systemctl(mode, action, unit), `${action} of ${unit}`);
  }
  if (action === 'uninstall') {
    // Only a folder that holds our mode file is ours to delete.
    await session.run(
      `test -f ${shQuote(`${device.remoteDir}/${MODE_FILE}`)} && rm -rf -- ${shQuote(device.remoteDir)}`,
      'removing the agent folder',
    );
    return { mode, state: 'uninstalled' };
  }
  const status =
    mode === 'background'
      ? inDir(device, BACKGROUND_STATUS)
      : `${systemctl(mode, 'is-active', unit)}; true`;
  return { mode, state: (await session.exec(status)).stdout.trim() || 'unknown' };
}

/** The background mode's command line, as written at install time. */
async function backgroundArgv(session: SshSession, device: BoardRecord): Promise<string[]> {
  const text = await session.run(inDir(device, 'cat argv.json'), 'reading the agent command line');
  let argv: unknown;
  try {
    argv = JSON.parse(text);
  } catch {
    argv = null; // refused just below, with the same sentence
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw new AppError(
      'NOT_PROVISIONED',
      `${device.name}: ${device.remoteDir}/argv.json is damaged; provision it again`,
    );
  }
  return argv;
}

export async function readAgentLogs(
  session: SshSession,
  device: BoardRecord,
  lines: number,
): Promise<{ mode: ServiceMode; text: string }> {
  const mode = await recordedMode(session, device);
  const n = String(lines);
  const cmd =
    mode === 'background'
      ? inDir(device, shCommand('tail', '-n', n, LOG_FILE))
      : mode === 'systemd-user'
        ? `${USER_ENV} ${shCommand('journalctl', '--user', '-u', unitName(device), '-n', n, '--no-pager', '-o', 'short-iso')}`
        : shCommand('journalctl', '-u', unitName(device), '-n', n, '--no-pager', '-o', 'short-iso');
  const r = await session.exec(cmd);
  if (r.code !== 0)
    throw new AppError(
      'LOGS_UNAVAILABLE',
      `cannot read the agent log of ${device.name}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`}`,
    );
  return { mode, text: r.stdout };
}
