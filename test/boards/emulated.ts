// Emulated boards: a Debian root filesystem of the board's own architecture (arm64, or armhf as
// under 32-bit Raspberry Pi OS; built and cached by scripts/arm-boards.mjs) run through
// qemu-user-static and binfmt_misc, each in a network namespace of the lab (createLab) with its
// own sshd of that architecture, a user "pi" and no Node. Each board writes to an overlay of its
// own, so the cached root filesystem stays clean and boards of one recipe do not share files.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKey, tempDir, waitListening, type KeyPair, type Netns } from '../integration/ssh/sshd';

export type Recipe = 'arm64' | 'armhf' | 'systemd';

/** The cached root filesystem of a recipe, built first if this machine has none. */
export function rootfsOf(recipe: Recipe): string {
  const r = spawnSync(process.execPath, ['scripts/arm-boards.mjs', recipe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/arm-boards.mjs ${recipe} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

/** Pids of the processes whose root is `root` (the board's programs, whoever started them). */
export function processesIn(root: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/root`) === root;
      } catch {
        return false; // Gone meanwhile.
      }
    })
    .map(Number);
}

/** A board's own root: an overlay on the cached root filesystem, and the user "pi" in it. */
export interface BoardRoot {
  dir: string;
  /** The board's files as the host sees them (its / is this folder). */
  root: string;
  key: KeyPair;
  /** What `cmd` prints when run in the root (chroot; under qemu for arm roots), as root. */
  chroot(cmd: string): string;
  /** Mounts `args` (the last is the mount point), unmounted again by `remove`. */
  mount(...args: string[]): void;
  /** Kills what still runs in the root, unmounts and deletes it. */
  remove(): Promise<void>;
}

export const BOARD_USER = 'pi';

export function boardRoot(recipe: Recipe): BoardRoot {
  const lower = rootfsOf(recipe);
  const dir = tempDir(`mchair-${recipe}`);
  const root = join(dir, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d));
  const mounts: string[] = [];
  const mount = (...args: string[]): void => {
    execFileSync('mount', args);
    mounts.unshift(args.at(-1)!);
  };
  const chroot = (cmd: string): string =>
    execFileSync('chroot', [root, '/bin/sh', '-c', cmd], { encoding: 'utf8' });
  const remove = async (): Promise<void> => {
    // The agent and anything else the tests started on the board live until here.
    for (const pid of processesIn(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    for (let i = 0; i < 50 && processesIn(root).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    execFileSync('rm', ['-rf', dir]);
  };
  try {
    mount(
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
      root,
    );
    // '*', not the locked '!': sshd without PAM refuses a locked account even a key login.
    chroot(`useradd -m -s /bin/bash -p '*' ${BOARD_USER}`);
    const key = makeKey(dir, 'id_pi');
    const ssh = join(root, 'home', BOARD_USER, '.ssh');
    mkdirSync(ssh, { mode: 0o700 });
    writeFileSync(join(ssh, 'authorized_keys'), `${key.publicLine}\n`);
    chroot(`chown -R ${BOARD_USER}: /home/${BOARD_USER}/.ssh`);
    // The board's host key, made by its own ssh-keygen (under qemu, like everything on it).
    chroot('ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key');
    return { dir, root, key, chroot, mount, remove };
  } catch (err) {
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    throw err;
  }
}

/** What a test needs of a board: where to log in, and its files. */
export interface EmulatedBoard {
  sshd: { host: string; port: number };
  user: { name: string; home: string };
  key: KeyPair;
  root: string;
  /** What `cmd` prints when run on the board as root. */
  run(cmd: string): string;
  stop(): Promise<void>;
}

/** How a test reaches a board root whose sshd listens on port 22 in `ns`. */
export function reachedAt(board: BoardRoot, ns: Netns): Omit<EmulatedBoard, 'stop'> {
  return {
    sshd: { host: ns.boardAddress, port: 22 },
    user: { name: BOARD_USER, home: join(board.root, 'home', BOARD_USER) },
    key: board.key,
    root: board.root,
    run: board.chroot,
  };
}

/**
 * Starts an emulated board in namespace `ns`: its own root with proc and /dev mounted, and the
 * board's own sshd on port 22, run through chroot (qemu-user runs it, binfmt_misc's F flag).
 */
export async function startEmulatedBoard(recipe: Recipe, ns: Netns): Promise<EmulatedBoard> {
  const board = boardRoot(recipe);
  const { root } = board;
  let child: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    const c = child;
    if (c && c.exitCode === null) {
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    }
    await board.remove();
  };
  try {
    board.mount('-t', 'proc', 'proc', join(root, 'proc'));
    board.mount('--rbind', '/dev', join(root, 'dev'));
    mkdirSync(join(root, 'run', 'sshd'), { recursive: true });
    writeFileSync(
      join(root, 'etc', 'ssh', 'mchair_sshd_config'),
      [
        `ListenAddress ${ns.boardAddress}:22`,
        'HostKey /etc/ssh/ssh_host_ed25519_key',
        // PAM would ask systemd-logind, which a chroot has not got; keys are all the tests need.
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin no',
        `AllowUsers ${BOARD_USER}`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', '/etc/ssh/mchair_sshd_config'];
    let output = '';
    child = spawn('ip', ['netns', 'exec', ns.name, 'chroot', root, ...argv]);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitListening(child, () => output);
    return { ...reachedAt(board, ns), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
