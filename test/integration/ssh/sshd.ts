// Real OpenSSH servers for the tests: Debian's sshd started as root with a throw-away config on a
// 127.x address (or inside a network namespace the test creates), host keys made by ssh-keygen,
// authorized keys in a temp folder, and throw-away Unix users with random passwords so key,
// password and keyboard-interactive (PAM) logins are all the real thing.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  // sshd runs its privilege-separated child as the test user, which must reach the files.
  chmodSync(dir, 0o755);
  return dir;
}

export interface TestUser {
  name: string;
  home: string;
  password: string;
  uid: number;
}

/** A real Unix account with a random password; remove it with `removeUser`. */
export function createUser(prefix: string, homeParent: string): TestUser {
  const name = `${prefix}${randomBytes(3).toString('hex')}`.slice(0, 30);
  const home = join(homeParent, name);
  execFileSync('useradd', ['-m', '-d', home, '-s', '/bin/sh', name]);
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  return { name, home, password, uid };
}

export function removeUser(user: TestUser): void {
  try {
    execFileSync('pkill', ['-KILL', '-u', user.name], { stdio: 'ignore' });
  } catch {
    // No process left: nothing to kill.
  }
  execFileSync('userdel', ['-r', '-f', user.name], { stdio: 'ignore' });
}

export interface KeyPair {
  privateFile: string;
  publicLine: string;
}

export function makeKey(
  dir: string,
  name: string,
  type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519',
  passphrase = '',
): KeyPair {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', name, '-f', file]);
  return { privateFile: file, publicLine: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** An unused TCP port on `host` (the kernel picks it; a race with another process is unlikely). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A 127.x.y.1 address of its own per test file, so parallel files do not share ports. */
export function loopbackAddress(): string {
  return `127.${50 + (process.pid % 150)}.${randomBytes(1)[0]! % 250}.1`;
}

export interface Sshd {
  host: string;
  port: number;
  dir: string;
  hostKey: KeyPair;
  /**
   * The host key's SHA256 fingerprint ("SHA256:...") as OpenSSH's `ssh-keygen -lf` prints it, so
   * tests check the app's own fingerprints against OpenSSH's.
   */
  hostKeyFingerprint(): string;
  /** Lets `user` log in with this public key. */
  authorize(user: string, publicLine: string): void;
  /** Restarts with a new host key (a reinstalled board, or a man in the middle). */
  changeHostKey(type?: 'ed25519' | 'rsa' | 'ecdsa'): Promise<void>;
  stop(): Promise<void>;
}

export interface Netns {
  name: string;
  /** The board's address, inside the namespace. */
  boardAddress: string;
}

export interface Lab {
  /** This machine's address on the lab network (the laptop). */
  hostAddress: string;
  boards: Netns[];
  /** An address of the lab subnet where nothing answers. */
  vacantAddress: string;
  remove(): void;
}

/**
 * A lab network: `count` boards, each a network namespace with its own address, and this machine,
 * all on one Ethernet bridge that lives in a switch namespace of its own (a random /24 of
 * 10.200.0.0/13). Boards reach each other and this machine without any routing on the host.
 */
export function createLab(count: number): Lab {
  const tag = randomBytes(3).toString('hex');
  const net = `10.${200 + (randomBytes(1)[0]! % 8)}.${randomBytes(1)[0]!}`;
  const sw = `mchair-sw-${tag}`;
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });
  const namespaces = [sw];
  const plug = (end: string): void => {
    ip('link', 'set', end, 'netns', sw);
    ip('-n', sw, 'link', 'set', end, 'master', 'br0');
    ip('-n', sw, 'link', 'set', end, 'up');
  };
  try {
    ip('netns', 'add', sw);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    ip('link', 'add', `mh${tag}`, 'type', 'veth', 'peer', 'name', `ms${tag}`);
    plug(`ms${tag}`);
    ip('addr', 'add', `${net}.1/24`, 'dev', `mh${tag}`);
    ip('link', 'set', `mh${tag}`, 'up');
    const boards = Array.from({ length: count }, (_, i) => {
      const name = `mchair-${tag}-${i}`;
      namespaces.push(name);
      ip('netns', 'add', name);
      ip('link', 'add', `mb${tag}${i}`, 'type', 'veth', 'peer', 'name', `mp${tag}${i}`);
      ip('link', 'set', `mb${tag}${i}`, 'netns', name);
      plug(`mp${tag}${i}`);
      ip('-n', name, 'addr', 'add', `${net}.${10 + i}/24`, 'dev', `mb${tag}${i}`);
      ip('-n', name, 'link', 'set', `mb${tag}${i}`, 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      return { name, boardAddress: `${net}.${10 + i}` };
    });
    // Deleting a namespace deletes the veth ends in it, and with them their peers.
    const remove = (): void => namespaces.reverse().forEach((n) => ip('netns', 'del', n));
    return { hostAddress: `${net}.1`, boards, vacantAddress: `${net}.250`, remove };
  } catch (err) {
    for (const n of namespaces.reverse()) spawnSync('ip', ['netns', 'del', n]);
    throw err;
  }
}

export interface SshdOptions {
  host?: string;
  /** More addresses to listen on (port 22 inside a namespace), e.g. the namespace's 127.0.0.1. */
  alsoListen?: readonly string[];
  users: readonly string[];
  hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** Run inside this network namespace (created by the caller). */
  netns?: string;
  /** Environment of every session (sshd's SetEnv), e.g. a PATH without node. */
  setEnv?: Record<string, string>;
  /** More sshd_config lines, e.g. `AllowTcpForwarding no`. */
  extraConfig?: readonly string[];
}

export function waitListening(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log()}`)), 15_000);
    const onData = (): void => {
      if (/Server listening on/.test(log())) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log()}`));
    });
  });
}

export async function startSshd(opts: SshdOptions): Promise<Sshd> {
  const host = opts.host ?? loopbackAddress();
  const dir = tempDir('mchair-sshd');
  const keysDir = join(dir, 'authorized');
  mkdirSync(keysDir, { mode: 0o755 });
  // Privilege separation needs this folder; a fresh CI machine without a running sshd lacks it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = opts.netns ? 22 : await freePort(host);
  let hostKey = makeKey(dir, 'host_key', opts.hostKeyType ?? 'ed25519');
  let child: ChildProcess | null = null;
  let output = '';

  const writeConfig = (): string => {
    const conf = join(dir, 'sshd_config');
    writeFileSync(
      conf,
      [
        ...[host, ...(opts.alsoListen ?? [])].map((h) => `ListenAddress ${h}:${port}`),
        `HostKey ${hostKey.privateFile}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${keysDir}/%u`,
        // The temp folders sit under the world-writable /tmp, which StrictModes refuses.
        'StrictModes no',
        'UsePAM yes',
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication yes',
        'PermitRootLogin no',
        `AllowUsers ${opts.users.join(' ')}`,
        'Subsystem sftp internal-sftp',
        'LogLevel VERBOSE',
        ...Object.entries(opts.setEnv ?? {}).map(([k, v]) => `SetEnv ${k}=${v}`),
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    return conf;
  };

  const start = async (): Promise<void> => {
    const conf = writeConfig();
    const argv = [SSHD, '-D', '-e', '-f', conf];
    output = '';
    child = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, ...argv])
      : spawn(argv[0]!, argv.slice(1));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitListening(child, () => output);
  };

  const stopChild = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };

  await start();
  return {
    host,
    port,
    dir,
    get hostKey() {
      return hostKey;
    },
    hostKeyFingerprint() {
      // `ssh-keygen -lf` prints "256 SHA256:xxxx comment (ED25519)".
      return execFileSync('ssh-keygen', ['-lf', `${hostKey.privateFile}.pub`])
        .toString()
        .split(' ')[1]!;
    },
    authorize(user, publicLine) {
      writeFileSync(join(keysDir, user), `${publicLine}\n`, { flag: 'a', mode: 0o644 });
    },
    async changeHostKey(type = 'ed25519') {
      await stopChild();
      rmSync(hostKey.privateFile);
      rmSync(`${hostKey.privateFile}.pub`);
      hostKey = makeKey(dir, 'host_key', type);
      await start();
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Board {
  sshd: Sshd;
  /** The board's throw-away user: logs in with `key` or with its password. */
  user: TestUser;
  key: KeyPair;
  /** Stops sshd and removes the user. */
  stop(): Promise<void>;
}

/**
 * The board most SSH tests log in to: a started sshd (on a 127.x address unless `sshd` says
 * otherwise) with a throw-away user whose home is under `dir`, and a fresh key (protected by
 * `passphrase` when given) it accepts.
 */
export async function startBoard(
  dir: string,
  opts: { userPrefix: string; passphrase?: string; sshd?: Omit<SshdOptions, 'users'> },
): Promise<Board> {
  const user = createUser(opts.userPrefix, dir);
  try {
    const key = makeKey(dir, `id_${user.name}`, 'ed25519', opts.passphrase);
    const sshd = await startSshd({ ...opts.sshd, users: [user.name] });
    sshd.authorize(user.name, key.publicLine);
    return {
      sshd,
      user,
      key,
      stop: async () => {
        await sshd.stop();
        removeUser(user);
      },
    };
  } catch (err) {
    removeUser(user);
    throw err;
  }
}
