// A board with a real systemd as PID 1: the cached x86 Debian root (systemd, dbus, sshd, sudo)
// booted by systemd-nspawn in a network namespace of the lab. These machines have no host systemd
// and no system bus, hence --register=no and --keep-unit; -U fails on their hybrid cgroup v1
// hierarchy (see shared/reference/hardware.md). The board's user pi has passwordless sudo, so the
// agent goes in as a system unit. A reboot inside ends nspawn with status 133, and this fixture
// boots it again, as systemd-nspawn@.service does (RestartForceExitStatus=133).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Netns } from '../integration/ssh/sshd';
import { BOARD_USER, boardRoot, reachedAt, type EmulatedBoard } from './emulated';

export interface SystemdBoard extends EmulatedBoard {
  /** Runs `cmd` inside the booted board (all its namespaces), as root. */
  exec(cmd: string): string;
  /** How many times it has booted. */
  boots(): number;
  /** Waits until the board (re)booted and its sshd answers. */
  booted(timeoutMs?: number): Promise<void>;
}

/** Whether something accepts TCP connections at host:port. */
export function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

export async function startSystemdBoard(ns: Netns): Promise<SystemdBoard> {
  const board = boardRoot('systemd');
  const { root } = board;
  board.chroot(`usermod -aG adm,systemd-journal ${BOARD_USER}`);
  writeFileSync(join(root, 'etc', 'sudoers.d', 'pi'), `${BOARD_USER} ALL=(ALL) NOPASSWD:ALL\n`, {
    mode: 0o440,
  });
  writeFileSync(
    join(root, 'etc', 'ssh', 'sshd_config.d', 'mchair.conf'),
    'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n',
  );
  let nspawn: ChildProcess | null = null;
  let boots = 0;
  let stopping = false;
  const boot = (): void => {
    boots++;
    const child = spawn(
      'systemd-nspawn',
      [
        '-q',
        '--register=no',
        '--keep-unit',
        '-D',
        root,
        `--network-namespace-path=/run/netns/${ns.name}`,
        '--boot',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', () => undefined);
    child.once('exit', (code) => {
      if (code === 133 && !stopping) boot();
    });
    nspawn = child;
  };
  /** PID 1 of the board, as the host numbers it: nspawn's child. */
  const leader = (): number => {
    const parent = String(nspawn?.pid);
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        // stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ")".
        const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
        if (ppid === parent) return Number(pid);
      } catch {
        // Gone meanwhile.
      }
    }
    throw new Error('the board has no PID 1 (not booted)');
  };
  const exec = (cmd: string): string =>
    execFileSync('nsenter', ['-t', String(leader()), '-a', '/bin/sh', '-c', cmd], {
      encoding: 'utf8',
    });
  const booted = async (timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await answers(ns.boardAddress, 22)) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`the systemd board did not boot within ${timeoutMs / 1000} s`);
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    const c = nspawn;
    // SIGTERM to nspawn halts the board cleanly (its units stopped, the agent among them).
    if (c && c.exitCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 30_000);
        c.once('exit', () => (clearTimeout(kill), resolve()));
        c.kill('SIGTERM');
      });
    }
    await board.remove();
  };
  try {
    boot();
    await booted();
    return {
      ...reachedAt(board, ns),
      exec,
      boots: () => boots,
      booted,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
