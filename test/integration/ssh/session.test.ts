// SshSession, HostTrust and uploads against a real OpenSSH server: host-key trust (unknown,
// accepted, hashed, changed), every auth method, exit codes, quoting, jump hosts and
// atomic/resumable uploads.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src-main/contract/errors';
import { BoardRecord, type Auth } from '../../../src-main/inventory/boardRecord';
import { KnownHosts } from '../../../src-main/inventory/known-hosts';
import { MemorySecretStore } from '../../../src-main/inventory/secrets';
import { HostTrust } from '../../../src-main/ssh/host-trust';
import { nobodyToAsk, type Prompter } from '../../../src-main/ssh/prompter';
import { shCommand } from '../../../src-main/ssh/quote';
import { SshSession, type ConnectOptions } from '../../../src-main/ssh/session';
import { uploadFile } from '../../../src-main/ssh/upload';
import {
  createLab,
  makeKey,
  startBoard,
  startSshd,
  tempDir,
  type Board,
  type KeyPair,
  type Sshd,
  type TestUser,
} from './sshd';

let dir: string;
let bench: Board;
let sshd: Sshd;
let user: TestUser;
let key: KeyPair;
let knownHostsPath: string;

function target(auth: Auth, extra: Partial<BoardRecord> = {}): BoardRecord {
  return BoardRecord.parse({
    name: 'board-1',
    host: sshd.host,
    port: sshd.port,
    user: user.name,
    auth,
    ...extra,
  });
}

async function options(
  opts: {
    acceptNew?: boolean;
    confirmed?: string[];
    acceptedOnce?: string[];
    prompter?: Prompter;
    secrets?: MemorySecretStore;
  } = {},
): Promise<ConnectOptions> {
  const prompter = opts.prompter ?? nobodyToAsk;
  return {
    trust: new HostTrust(await KnownHosts.load(knownHostsPath), {
      acceptNew: opts.acceptNew ?? false,
      confirmed: new Set(opts.confirmed ?? []),
      acceptedOnce: new Set(opts.acceptedOnce ?? []),
      prompter,
    }),
    credentials: { secrets: opts.secrets ?? new MemorySecretStore(), prompter, env: {} },
    readyTimeoutMs: 15_000,
  };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

async function withSession<T>(
  device: BoardRecord,
  opts: ConnectOptions,
  fn: (s: SshSession) => Promise<T>,
): Promise<T> {
  const s = await SshSession.open(device, opts);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

beforeAll(async () => {
  dir = tempDir('mchair-ssh-test');
  bench = await startBoard(dir, { userPrefix: 'mcs' });
  ({ sshd, user, key } = bench);
  knownHostsPath = join(dir, 'known_hosts');
});

afterAll(async () => {
  await bench?.stop();
});

describe('host key trust against a real sshd', () => {
  it('refuses an unknown key with its SHA256 fingerprint, as ssh-keygen prints it', async () => {
    const err = await failure(
      SshSession.open(target({ type: 'key', file: key.privateFile }), await options()),
    );
    expect(err.code).toBe('HOST_KEY_UNKNOWN');
    expect(err.message).toContain(sshd.hostKeyFingerprint());
    expect(existsSync(knownHostsPath)).toBe(false);
  });

  it('a declined prompt refuses and remembers nothing', async () => {
    const asked: string[] = [];
    const prompter: Prompter = {
      secret: async () => null,
      confirm: async (q) => (asked.push(q), false),
    };
    const err = await failure(
      SshSession.open(target({ type: 'key', file: key.privateFile }), await options({ prompter })),
    );
    expect(err.code).toBe('HOST_KEY_REJECTED');
    expect(asked[0]).toContain(sshd.hostKeyFingerprint());
    expect(existsSync(knownHostsPath)).toBe(false);
  });

  it('a fingerprint confirmed in the app is trusted only if it is the one presented', async () => {
    const device = target({ type: 'key', file: key.privateFile });
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const err = await failure(SshSession.open(device, await options({ confirmed: [wrong] })));
    expect(err.code).toBe('HOST_KEY_UNKNOWN');
    const right = sshd.hostKeyFingerprint();
    const out = await withSession(device, await options({ confirmed: [right] }), (s) =>
      s.run('echo ok', 'echo'),
    );
    expect(out.trim()).toBe('ok');
    writeFileSync(knownHostsPath, '');
  });

  it('a key accepted once passes without asking and is not remembered', async () => {
    const device = target({ type: 'key', file: key.privateFile });
    const presented = sshd.hostKeyFingerprint();
    const prompter: Prompter = {
      secret: async () => null,
      confirm: async () => {
        throw new Error('must not ask');
      },
    };
    const out = await withSession(
      device,
      await options({ acceptedOnce: [presented], prompter }),
      (s) => s.run('echo ok', 'echo'),
    );
    expect(out.trim()).toBe('ok');
    expect(readFileSync(knownHostsPath, 'utf8')).toBe('');
    const again = await failure(SshSession.open(device, await options()));
    expect(again.code).toBe('HOST_KEY_UNKNOWN');
  });

  it('--accept-new remembers the key in a known_hosts file OpenSSH itself reads', async () => {
    const out = await withSession(
      target({ type: 'key', file: key.privateFile }),
      await options({ acceptNew: true }),
      (s) => s.run('id -un', 'id'),
    );
    expect(out.trim()).toBe(user.name);
    const found = execFileSync('ssh-keygen', [
      '-F',
      `[${sshd.host}]:${sshd.port}`,
      '-f',
      knownHostsPath,
    ]).toString();
    expect(found).toContain(sshd.hostKey.publicLine.split(' ')[1]);
  });

  it('a remembered key passes without asking, also once ssh-keygen -H has hashed the file', async () => {
    execFileSync('ssh-keygen', ['-H', '-f', knownHostsPath], { stdio: 'ignore' });
    expect(readFileSync(knownHostsPath, 'utf8')).toMatch(/^\|1\|/);
    const prompter: Prompter = {
      secret: async () => null,
      confirm: async () => {
        throw new Error('must not ask');
      },
    };
    const out = await withSession(
      target({ type: 'key', file: key.privateFile }),
      await options({ prompter }),
      (s) => s.run('echo ok', 'echo'),
    );
    expect(out.trim()).toBe('ok');
  });

  it('a changed key is refused with old and new fingerprints, even with --accept-new', async () => {
    const oldPrint = sshd.hostKeyFingerprint();
    const before = readFileSync(knownHostsPath, 'utf8');
    await sshd.changeHostKey('ecdsa');
    const newPrint = sshd.hostKeyFingerprint();
    const err = await failure(
      SshSession.open(
        target({ type: 'key', file: key.privateFile }),
        await options({ acceptNew: true }),
      ),
    );
    expect(err.code).toBe('HOST_KEY_CHANGED');
    expect(err.message).toContain(oldPrint);
    expect(err.message).toContain(newPrint);
    // The same keys in fields, for callers that must not read the sentence.
    expect(err.details).toMatchObject({
      code: 'HOST_KEY_CHANGED',
      presented: { keyType: 'ecdsa-sha2-nistp256', fingerprint: newPrint },
      known: [{ fingerprint: oldPrint }],
    });
    expect(readFileSync(knownHostsPath, 'utf8')).toBe(before);
    // Reset for the tests below: the board was "reinstalled" and the user re-trusts it.
    writeFileSync(knownHostsPath, '');
  });
});

describe('authentication', () => {
  const run = async (
    auth: Auth,
    secrets = new MemorySecretStore(),
    prompter: Prompter = nobodyToAsk,
  ) =>
    withSession(target(auth), await options({ acceptNew: true, secrets, prompter }), (s) =>
      s.run('id -un', 'id'),
    );

  it('logs in with a key file', async () => {
    expect((await run({ type: 'key', file: key.privateFile })).trim()).toBe(user.name);
  });

  it('logs in with an encrypted key whose passphrase is asked once, and names a wrong one', async () => {
    const locked = makeKey(dir, 'id_locked', 'ed25519', 'open sesame');
    sshd.authorize(user.name, locked.publicLine);
    const secrets = new MemorySecretStore();
    let asked = 0;
    const prompter: Prompter = {
      secret: async () => (asked++, 'open sesame'),
      confirm: async () => null,
    };
    expect((await run({ type: 'key', file: locked.privateFile }, secrets, prompter)).trim()).toBe(
      user.name,
    );
    expect((await run({ type: 'key', file: locked.privateFile }, secrets, prompter)).trim()).toBe(
      user.name,
    );
    expect(asked).toBe(1);
    const wrong: Prompter = { secret: async () => 'nope', confirm: async () => null };
    const err = await failure(
      run({ type: 'key', file: locked.privateFile }, new MemorySecretStore(), wrong),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('passphrase');
  });

  it('refuses a key the board does not know with AUTH_FAILED', async () => {
    const stranger = makeKey(dir, 'id_stranger');
    const err = await failure(run({ type: 'key', file: stranger.privateFile }));
    expect(err.code).toBe('AUTH_FAILED');
  });

  it('logs in with a password from the secret store, and refuses a wrong one', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set(`ssh/password/${user.name}@${sshd.host}:${sshd.port}`, user.password);
    expect((await run({ type: 'password' }, secrets)).trim()).toBe(user.name);
    await secrets.set(`ssh/password/${user.name}@${sshd.host}:${sshd.port}`, 'wrong');
    const err = await failure(run({ type: 'password' }, secrets));
    expect(err.code).toBe('AUTH_FAILED');
    // The wrong password is forgotten so the next attempt asks again.
    expect(
      await secrets.get(`ssh/password/${user.name}@${sshd.host}:${sshd.port}`),
    ).toBeUndefined();
  });

  it('without a password and nobody to ask, says so instead of hanging', async () => {
    const err = await failure(run({ type: 'password' }));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('no terminal');
  });

  it('answers the PAM prompt of keyboard-interactive login', async () => {
    const prompts: string[] = [];
    const prompter: Prompter = {
      secret: async (q) => (prompts.push(q), user.password),
      confirm: async () => null,
    };
    expect(
      (await run({ type: 'keyboard-interactive' }, new MemorySecretStore(), prompter)).trim(),
    ).toBe(user.name);
    expect(prompts.join('\n')).toMatch(/password/i);
  });

  it('logs in through a running ssh-agent', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++)
        await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', [key.privateFile], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      expect((await run({ type: 'agent', socket: sock })).trim()).toBe(user.name);
    } finally {
      agent.kill();
    }
  });

  it('a closed port is UNREACHABLE', async () => {
    const device = BoardRecord.parse({
      name: 'gone',
      host: sshd.host,
      port: 1,
      user: user.name,
      auth: { type: 'key', file: key.privateFile },
    });
    const err = await failure(SshSession.open(device, await options({ acceptNew: true })));
    expect(err.code).toBe('UNREACHABLE');
  });
});

describe('commands, quoting and jump hosts', () => {
  const keyAuth = (): Auth => ({ type: 'key', file: key.privateFile });

  it('returns exit codes and both output streams', async () => {
    const r = await withSession(target(keyAuth()), await options({ acceptNew: true }), (s) =>
      s.exec('echo out; echo err >&2; exit 3'),
    );
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('quoted arguments with spaces, quotes, ; and $(...) stay data', async () => {
    // Relative names: the command runs in the user's home, where an injected touch would land.
    const evil = `a b'c";$(touch pwned);\`touch pwned2\`;|| touch pwned3 &`;
    const path = join(user.home, evil);
    await withSession(target(keyAuth()), await options({ acceptNew: true }), (s) =>
      s.run(shCommand('touch', '--', path), 'touch'),
    );
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(user.home, 'pwned'))).toBe(false);
    expect(existsSync(join(user.home, 'pwned2'))).toBe(false);
    expect(existsSync(join(user.home, 'pwned3'))).toBe(false);
  });

  it('reaches a board through a jump host', async () => {
    // The board listens only on its namespace's own 127.0.0.1, which only the jump host (the
    // namespace's outward address) can reach: a direct connection could not get there.
    const lab = createLab(1);
    const ns = lab.boards[0]!;
    const board = await startSshd({
      host: ns.boardAddress,
      alsoListen: ['127.0.0.1'],
      users: [user.name],
      netns: ns.name,
    });
    try {
      board.authorize(user.name, key.publicLine);
      const jump = { host: ns.boardAddress, port: 22, user: user.name, auth: keyAuth() };
      const device = BoardRecord.parse({
        name: 'behind',
        host: '127.0.0.1',
        port: 22,
        user: user.name,
        auth: keyAuth(),
        jump,
      });
      const out = await withSession(device, await options({ acceptNew: true }), (s) =>
        s.run('echo "$SSH_CONNECTION"', 'env'),
      );
      expect(out.trim().split(' ').slice(2)).toEqual(['127.0.0.1', '22']);
    } finally {
      await board.stop();
      lab.remove();
    }
  });
});

describe('uploads', () => {
  const keyAuth = (): Auth => ({ type: 'key', file: key.privateFile });

  it('are atomic, resumable after a cancel, and verified by sha256', async () => {
    const local = join(dir, 'payload.bin');
    const data = randomBytes(6 * 1024 * 1024 + 123);
    writeFileSync(local, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const remote = join(user.home, 'dir with space', "pay'load.bin");
    await withSession(target(keyAuth()), await options({ acceptNew: true }), async (s) => {
      await s.run(shCommand('mkdir', '-p', '--', join(user.home, 'dir with space')), 'mkdir');
      const abort = new AbortController();
      const seen: number[] = [];
      const err = await failure(
        uploadFile(s, local, remote, {
          sha256,
          signal: abort.signal,
          onProgress: (done) => {
            seen.push(done);
            if (done > data.length / 3) abort.abort();
          },
        }),
      );
      expect(err.code).toBe('CANCELLED');
      expect(existsSync(remote)).toBe(false);
      const partial = statSync(`${remote}.part`).size;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(data.length);

      const progress: number[] = [];
      const r = await uploadFile(s, local, remote, {
        sha256,
        onProgress: (done) => progress.push(done),
      });
      expect(r.resumedFrom).toBe(partial);
      expect(r.bytesSent).toBe(data.length - partial);
      expect(progress.at(-1)).toBe(data.length);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(createHash('sha256').update(readFileSync(remote)).digest('hex')).toBe(sha256);
      expect(existsSync(`${remote}.part`)).toBe(false);
    });
  });

  it('start over when the partial file belongs to another version', async () => {
    const local = join(dir, 'v2.bin');
    const data = randomBytes(300_000);
    writeFileSync(local, data);
    const remote = join(user.home, 'v2.bin');
    writeFileSync(`${remote}.part`, randomBytes(1000));
    execFileSync('chown', [user.name, `${remote}.part`]);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const r = await withSession(target(keyAuth()), await options({ acceptNew: true }), (s) =>
      uploadFile(s, local, remote, { sha256 }),
    );
    expect(r.resumedFrom).toBe(1000);
    expect(r.bytesSent).toBe(data.length - 1000 + data.length);
    expect(readFileSync(remote).equals(data)).toBe(true);
  });
});
