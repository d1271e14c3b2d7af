// A board without Node (and with TCP forwarding off): a tarball for another CPU is refused before
// anything is sent, and with --node-tarball it pushes a nodejs.org-style tarball, unpacks it on
// the board and runs the agent with that Node; cancelled half-way, it resumes where it stopped.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceProvisionResult } from '../../../src-main/contract/provision';
import { agentBundlePath } from '../../../src-main/farm/local';
import { appNodeTarball } from '../../../src-main/provision/board-node';
import { Inventory } from '../../../src-main/inventory/inventory';
import { MemorySecretStore } from '../../../src-main/inventory/secrets';
import { provisionFarm } from '../../../src-main/provision/provision';
import { Connector } from '../../../src-main/ssh/connector';
import { nobodyToAsk } from '../../../src-main/ssh/prompter';
import { createLab, startBoard, tempDir, type Board, type Lab } from '../ssh/sshd';

const CLI = join(process.cwd(), 'bin', 'mchair.js');
let dir: string;
let lab: Lab;
let board: Board;
let inventory: string;
let tarball: string;
/** Bytes the cancelled run had to send in all, and those it sent. */
let neededAtCancel = 0;
let sentBeforeCancel = 0;

function provision(...extra: string[]): { code: number; result: DeviceProvisionResult } {
  const args = [
    'provision',
    '--inventory',
    inventory,
    '--agent-bundle',
    join(dir, 'mchair-agent.mjs'),
    '--accept-new',
    '--json',
    ...extra,
  ];
  const r = spawnSync(process.execPath, [CLI, '--data-dir', join(dir, 'data'), ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(r.stdout, r.stderr).not.toBe('');
  const doc = JSON.parse(r.stdout) as { devices: unknown[] };
  return { code: r.status ?? -1, result: DeviceProvisionResult.parse(doc.devices[0]) };
}

beforeAll(async () => {
  dir = tempDir('mchair-nodeless');
  // A copy: other test runs rebuild out/agent, and a new bundle mid-test is a real change.
  copyFileSync(agentBundlePath(), join(dir, 'mchair-agent.mjs'));
  // The board's PATH: every command of this machine except Node.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const d of ['/usr/bin', '/bin', '/usr/sbin']) {
    for (const f of readdirSync(d)) {
      if (!/^node(js)?$/.test(f) && !existsSync(join(bin, f)))
        symlinkSync(join(d, f), join(bin, f));
    }
  }
  // A tarball laid out like nodejs.org's: node-vX-linux-x64/bin/node.
  const top = `node-${process.version}-linux-x64`;
  mkdirSync(join(dir, 'tar', top, 'bin'), { recursive: true });
  execFileSync('cp', [process.execPath, join(dir, 'tar', top, 'bin', 'node')]);
  tarball = join(dir, `${top}.tar.gz`);
  execFileSync('sh', [
    '-c',
    `tar -C "$1" -cf - "$2" | gzip -1 > "$3"`,
    'sh',
    join(dir, 'tar'),
    top,
    tarball,
  ]);

  lab = createLab(1);
  const ns = lab.boards[0]!;
  board = await startBoard(dir, {
    userPrefix: 'mcn',
    sshd: {
      host: ns.boardAddress,
      netns: ns.name,
      setEnv: { PATH: bin },
      // A hardened board: provisioning cannot look at the agent's port through SSH.
      extraConfig: ['AllowTcpForwarding no'],
    },
  });
  inventory = join(dir, 'inventory.json');
  execFileSync(process.execPath, [
    CLI,
    '--data-dir',
    join(dir, 'data'),
    'devices',
    'add',
    'nodeless',
    '--inventory',
    inventory,
    '--host',
    ns.boardAddress,
    '--user',
    board.user.name,
    '--key',
    board.key.privateFile,
  ]);
}, 120_000);

afterAll(async () => {
  await board?.stop();
  lab?.remove();
});

describe('a board without Node', () => {
  it('refuses a Node tarball for another CPU before sending anything', () => {
    const arm64 = appNodeTarball('arm64')!.file;
    const { code, result } = provision('--node-tarball', arm64);
    expect(code).toBe(1);
    expect(result).toMatchObject({ status: 'failed', code: 'BAD_NODE_TARBALL', bytesUploaded: 0 });
    expect(result.message).toBe(
      `${arm64} is for arm64, not for this x64 board: pass a Node tarball for x64 too, or leave out --node-tarball to push the app's own Node`,
    );
    expect(existsSync(join(board.user.home, '.mchair-agent'))).toBe(false);
  });

  it('a cancelled provisioning stops mid-upload and the next one resumes where it stopped', async () => {
    const connector = await Connector.create({
      dataDir: join(dir, 'data'),
      acceptNew: true,
      prompter: nobodyToAsk,
      secrets: new MemorySecretStore(),
    });
    const abort = new AbortController();
    const [result] = await provisionFarm((await Inventory.load(inventory)).list(), {
      connector,
      dataDir: join(dir, 'data'),
      agentBundle: join(dir, 'mchair-agent.mjs'),
      nodeTarballs: [tarball],
      signal: abort.signal,
      onProgress: (_all, d) => {
        if (d.bytesDone > 10 * 2 ** 20 && !abort.signal.aborted) {
          neededAtCancel = d.bytesTotal;
          abort.abort();
        }
      },
    });
    expect(result).toMatchObject({ status: 'failed', code: 'CANCELLED' });
    sentBeforeCancel = result!.bytesUploaded;
    expect(sentBeforeCancel).toBeGreaterThan(10 * 2 ** 20);
    const parts = execFileSync('find', [join(board.user.home, '.mchair-agent'), '-name', '*.part']);
    expect(parts.toString().trim()).not.toBe('');
  });

  it('gets the given Node tarball, unpacked, and its agent runs on it', async () => {
    const { code, result } = provision('--node-tarball', tarball);
    expect(result.message).toMatch(/agent started on port 7700/);
    expect(result.notes.join(' ')).toMatch(/forbids TCP forwarding/);
    expect(code).toBe(0);
    // What the cancelled run sent is not sent again: both runs add up to one upload.
    expect(neededAtCancel).toBeGreaterThan(40 * 2 ** 20);
    expect(sentBeforeCancel + result.bytesUploaded).toBe(neededAtCancel);
    expect(result.notes.join(' ')).toContain(
      `no Node.js found: the given Node ${process.versions.node} (linux-x64) is installed`,
    );
    expect(result.nodeBytesUploaded + sentBeforeCancel).toBeGreaterThan(20 * 2 ** 20);
    const agentDir = join(board.user.home, '.mchair-agent');
    const argv = JSON.parse(readFileSync(join(agentDir, 'argv.json'), 'utf8')) as string[];
    expect(argv[0]).toBe(join(agentDir, 'node', 'bin', 'node'));
    expect(execFileSync(argv[0]!, ['--version']).toString().trim()).toBe(process.version);
    expect(readdirSync(join(agentDir, 'node-dist'))).toEqual([]);
    // The probe now finds the board's own copy: nothing to push a second time.
    const again = provision('--node-tarball', tarball);
    expect(again.result).toMatchObject({ status: 'ok', bytesUploaded: 0 });
    expect(again.result.notes.join(' ')).not.toMatch(/is installed for the agent/);
    // A restart uses the command line recorded by the second run: still the unpacked Node.
    const cli = (...a: string[]) =>
      spawnSync(
        process.execPath,
        [
          CLI,
          '--data-dir',
          join(dir, 'data'),
          'devices',
          'service',
          ...a,
          '--inventory',
          inventory,
          '--json',
        ],
        { encoding: 'utf8' },
      );
    const listened = () =>
      readFileSync(join(agentDir, 'agent.log'), 'utf8').split('"event":"listening"').length;
    const before = listened();
    expect(cli('restart', 'nodeless').status).toBe(0);
    for (let i = 0; i < 60 && listened() === before; i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(listened()).toBe(before + 1);
    expect(JSON.parse(cli('status', 'nodeless').stdout).devices[0]).toMatchObject({
      state: 'active',
    });
    expect(JSON.parse(readFileSync(join(agentDir, 'argv.json'), 'utf8'))[0]).toBe(argv[0]);
  });
});
