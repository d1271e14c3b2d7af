// The CLI on a real terminal (a pty from util-linux `script`): an unknown host key is shown with
// its fingerprint and asked about (remember, this once, or no), the password is asked without
// echo, and the answers work.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBundlePath } from '../../../src-main/farm/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../../src-main/inventory/known-hosts';
import { freePort, startBoard, tempDir, type Board, type Sshd, type TestUser } from './sshd';

const CLI = join(process.cwd(), 'bin', 'mchair.js');
const ESC = String.fromCharCode(27);
let dir: string;
let board: Board;
let sshd: Sshd;
let user: TestUser;

beforeAll(async () => {
  dir = tempDir('mchair-tty');
  // The board's users log in by password here; its key is not used.
  board = await startBoard(dir, { userPrefix: 'mct' });
  ({ sshd, user } = board);
});

afterAll(async () => {
  await board?.stop();
});

/** Runs the CLI on a pty and answers each prompt when it appears. */
function onTerminal(
  args: string[],
  answers: Array<[RegExp, string]>,
): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  // A pty from `script` starts without a size; give it a usual terminal's.
  const child = spawn('script', ['-qefc', `stty cols 160 rows 40; ${command}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  const pending = [...answers];
  const onData = (d: Buffer): void => {
    screen += d.toString();
    const next = pending[0];
    if (next && next[0].test(screen)) {
      pending.shift();
      child.stdin.write(`${next[1]}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, screen })),
  );
}

/** A fresh data folder and inventory holding one board that logs in with a password. */
function addPasswordBoard(name: string, ...extra: string[]): { data: string; inventory: string } {
  const data = join(dir, name);
  const inventory = join(data, 'inventory.json');
  const login = [
    ...extra,
    '--host',
    sshd.host,
    '--port',
    String(sshd.port),
    '--user',
    user.name,
    '--password',
  ];
  execFileSync(process.execPath, [
    CLI,
    '--data-dir',
    data,
    'devices',
    'add',
    'tty-board',
    '--inventory',
    inventory,
    ...login,
  ]);
  return { data, inventory };
}

describe('mchair on a terminal', () => {
  it('asks to trust a new host key with its fingerprint, then asks the password without echo', async () => {
    const { data, inventory } = addPasswordBoard('data');
    const fingerprint = sshd.hostKeyFingerprint();
    const { code, screen } = await onTerminal(
      ['--data-dir', data, 'devices', 'probe', 'tty-board', '--inventory', inventory],
      [
        [/Trust it and remember it\? \[y\/o\/N\]/, 'y'],
        [/Password for /, user.password],
      ],
    );
    expect(screen).toContain(fingerprint);
    expect(screen).not.toContain(user.password);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/profile\s+generic-x64, runtime native/);
    const known = await KnownHosts.load(join(data, 'known_hosts'));
    expect(known.knownKeyTypes(sshd.host, sshd.port)).toEqual(['ssh-ed25519']);
  });

  it('a "no" leaves the host untrusted and exits 1 with HOST_KEY_REJECTED', async () => {
    const { data, inventory } = addPasswordBoard('data-2');
    const { code, screen } = await onTerminal(
      ['--data-dir', data, 'devices', 'probe', 'tty-board', '--inventory', inventory],
      [[/\[y\/o\/N\]/, 'n']],
    );
    expect(code).toBe(1);
    expect(screen).toContain('FAILED HOST_KEY_REJECTED');
  });

  it('an "o" trusts the key for this connection only: nothing is remembered, the next one asks', async () => {
    const { data, inventory } = addPasswordBoard('data-once');
    const probe = ['--data-dir', data, 'devices', 'probe', 'tty-board', '--inventory', inventory];
    const once = await onTerminal(probe, [
      [/\[y\/o\/N\] \(o: trust it this once, not remembered\)/, 'o'],
      [/Password for /, user.password],
    ]);
    expect(once.code, once.screen).toBe(0);
    expect(once.screen).toMatch(/profile\s+generic-x64/);
    const known = await KnownHosts.load(join(data, 'known_hosts'));
    expect(known.knownKeyTypes(sshd.host, sshd.port)).toEqual([]);
    const again = await onTerminal(probe, [[/\[y\/o\/N\]/, 'n']]);
    expect(again.code).toBe(1);
    expect(again.screen).toContain('FAILED HOST_KEY_REJECTED');
  });

  it('draws per-device progress bars while provisioning', async () => {
    // The agent runs on this machine: a free port keeps it clear of other agents.
    const port = String(await freePort('127.0.0.1'));
    const { data, inventory } = addPasswordBoard('data-3', '--agent-port', port);
    const bundle = join(dir, 'mchair-agent.mjs');
    copyFileSync(agentBundlePath(), bundle);
    const { code, screen } = await onTerminal(
      [
        '--data-dir',
        data,
        'provision',
        '--inventory',
        inventory,
        '--accept-new',
        '--agent-bundle',
        bundle,
      ],
      [[/Password for /, user.password]],
    );
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/tty-board \[#*\.*\] upload {2}\d+\.\d MB\/\d+\.\d MB/);
    expect(screen).toContain('overall [##############################] 100%');
    // The bars start again below the answered prompt instead of drawing over it.
    expect(screen).toMatch(new RegExp(`Password for [^\n]*\n${ESC}\\[2Ktty-board`));
    expect(screen).toContain('1 device(s) provisioned');
    expect(screen).not.toContain(user.password);
    execFileSync('pkill', ['-u', user.name, '-f', 'mchair-agent']);
  });
});
