// `mchair provision` end to end against real OpenSSH: two boards, each a network namespace with
// its own address, sshd and user on one bridged lab network, plus one address where nothing
// answers, host-key trust, the real agent bundle and onnxruntime pushed over SFTP,
// agents started as supervised background processes (no systemd in CI), a second run that sends
// nothing, a real distributed inference with --check across the provisioned agents over TLS, and
// a changed host key refused for one board while the other carries on.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceProvisionResult } from '../../../src-main/contract/provision';
import { createLogger } from '../../../src-main/log';
import {
  buildZooModel,
  encodeModel,
  listCuts,
  partitionModel,
} from '../../../src-main/model/index';
import { agentBundlePath } from '../../../src-main/farm/local';
import { Inventory } from '../../../src-main/inventory/inventory';
import { provisionedFarm } from '../../../src-main/provision/farm';
import { ResultChecker } from '../../../src-main/runtime/check';
import { CHECK_TOLERANCE, executeRun } from '../../../src-main/runtime/execute';
import { syntheticSource } from '../../../src-main/runtime/source';
import {
  createLab,
  createUser,
  makeKey,
  removeUser,
  startSshd,
  tempDir,
  type KeyPair,
  type Lab,
  type Sshd,
  type TestUser,
} from '../ssh/sshd';
import { deploymentOf } from '../../../src-main/runtime/deployment';

const CLI = join(process.cwd(), 'bin', 'mchair.js');
// Quoting is tested where it matters: this folder name reaches remote shells, SFTP and the unit.
const REMOTE_DIR = `mchair agent 'q' "dq" $(touch pwned);x`;

interface Board {
  name: string;
  user: TestUser;
  sshd: Sshd;
  address: string;
}

let dir: string;
let dataDir: string;
let inventory: string;
let partsDir: string;
let agentBundle: string;
let key: KeyPair;
let lab: Lab;
const boards: Board[] = [];
let manifest: Awaited<ReturnType<typeof partitionModel>>;
const model = buildZooModel('tiny-cnn', { seed: 3 });

function mchair(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function provision(...extra: string[]): {
  code: number;
  results: Map<string, DeviceProvisionResult>;
  stderr: string;
} {
  const r = mchair(
    'provision',
    '--inventory',
    inventory,
    '--partitions',
    partsDir,
    '--agent-bundle',
    agentBundle,
    '--json',
    ...extra,
  );
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const doc = JSON.parse(lines[0]!) as { devices: unknown[] };
  const results = doc.devices.map((d) => DeviceProvisionResult.parse(d));
  return { code: r.code, results: new Map(results.map((x) => [x.name, x])), stderr: r.stderr };
}

beforeAll(async () => {
  dir = tempDir('mchair-prov');
  dataDir = join(dir, 'data');
  inventory = join(dir, 'lab inventory.json');
  key = makeKey(dir, 'id_lab');
  // A copy: other test runs rebuild out/agent, and a new bundle mid-test is a real change.
  agentBundle = join(dir, 'mchair-agent.mjs');
  copyFileSync(agentBundlePath(), agentBundle);
  lab = createLab(3);
  for (const [i, ns] of lab.boards.entries()) {
    const user = createUser('mcp', dir);
    // board-3 has 16 MB of disk in its home: too little for onnxruntime.
    if (i === 2)
      execFileSync('mount', [
        '-t',
        'tmpfs',
        '-o',
        `size=16m,mode=0755,uid=${user.uid}`,
        'tmpfs',
        user.home,
      ]);
    const sshd = await startSshd({ host: ns.boardAddress, netns: ns.name, users: [user.name] });
    sshd.authorize(user.name, key.publicLine);
    boards.push({ name: `board-${i + 1}`, user, sshd, address: ns.boardAddress });
  }
  const cut = listCuts(model)[Math.floor(listCuts(model).length / 2)]!;
  partsDir = join(dir, 'parts');
  manifest = await partitionModel(model, { cuts: [cut] }, partsDir);

  for (const b of boards) {
    // Each board is its own machine, so both agents use the default port.
    const r = mchair(
      'devices',
      'add',
      b.name,
      '--inventory',
      inventory,
      '--host',
      b.sshd.host,
      '--user',
      b.user.name,
      '--key',
      key.privateFile,
      '--remote-dir',
      REMOTE_DIR,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  const ghost = mchair(
    'devices',
    'add',
    'ghost',
    '--inventory',
    inventory,
    '--host',
    lab.vacantAddress,
    '--user',
    'nobody',
    '--key',
    key.privateFile,
  );
  expect(ghost.code).toBe(0);
  // board-1 again, with a key it does not know.
  const strangerKey = makeKey(dir, 'id_stranger');
  const stranger = mchair(
    'devices',
    'add',
    'stranger',
    '--inventory',
    inventory,
    '--host',
    boards[0]!.address,
    '--user',
    boards[0]!.user.name,
    '--key',
    strangerKey.privateFile,
  );
  expect(stranger.code).toBe(0);
}, 180_000);

afterAll(async () => {
  for (const b of boards) {
    await b.sshd.stop();
    if (b.name === 'board-3') {
      spawnSync('pkill', ['-KILL', '-u', b.user.name]);
      spawnSync('umount', [b.user.home]);
    }
    removeUser(b.user);
  }
  lab?.remove();
});

describe('mchair provision against real sshd boards', () => {
  it('refuses unknown host keys without --accept-new and names each failure', () => {
    const { code, results } = provision();
    expect(code).toBe(1);
    expect(results.get('board-1')).toMatchObject({
      status: 'failed',
      code: 'HOST_KEY_UNKNOWN',
      bytesUploaded: 0,
    });
    expect(results.get('board-1')!.message).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(results.get('board-2')!.code).toBe('HOST_KEY_UNKNOWN');
    expect(results.get('board-3')!.code).toBe('HOST_KEY_UNKNOWN');
    expect(results.get('ghost')!.code).toBe('UNREACHABLE');
    expect(results.get('stranger')!.code).toBe('HOST_KEY_UNKNOWN');
  });

  it('provisions two boards in parallel while the unreachable, the full and the refused ones fail on their own', () => {
    const started = Date.now();
    const { code, results, stderr } = provision('--accept-new');
    const partBytes = manifest.stages
      .flatMap((s) => s.parts)
      .reduce((n, p) => n + statSync(join(partsDir, p.file)).size, 0);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /3 of 5 device\(s\) failed: board-3 \(DISK_FULL\), ghost \(UNREACHABLE\), stranger \(AUTH_FAILED\)/,
    );
    expect(results.get('board-3')).toMatchObject({ status: 'failed', bytesUploaded: 0 });
    expect(results.get('board-3')!.message).toMatch(
      /needs \d+ MB for this upload but has \d+ MB free/,
    );
    for (const b of boards.slice(0, 2)) {
      const r = results.get(b.name)!;
      expect(r, r.message).toMatchObject({
        status: 'ok',
        code: null,
        service: 'background',
        runtime: 'native',
        profile: 'generic-x64',
      });
      // The agent bundle, onnxruntime-node for x64 (tens of MB) and the partitions.
      expect(r.bytesUploaded).toBeGreaterThan(20 * 2 ** 20);
      expect(r.modelBytesUploaded).toBe(partBytes);
      expect(r.agentVersion).toMatch(/^\d+\.\d+\.\d+.*\+[0-9a-f]{12}$/);
      expect(r.notes.join(' ')).toMatch(/no systemd/);
      // Everything landed under the quoted folder, and nothing ran from its name.
      const home = b.user.home;
      expect(existsSync(join(home, REMOTE_DIR, 'agent', 'mchair-agent.mjs'))).toBe(true);
      expect(
        readdirSync(
          join(home, REMOTE_DIR, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux'),
        ),
      ).toEqual(['x64']);
      expect(statSync(join(home, REMOTE_DIR, 'tls', `${b.name}.key`)).mode & 0o777).toBe(0o600);
      // What the board said about itself once provisioned, remembered for the Farm table.
      const state = JSON.parse(readFileSync(join(dataDir, 'boards.json'), 'utf8')).boards[b.name];
      expect(state).toMatchObject({
        agentVersion: r.agentVersion,
        service: { mode: 'background', state: 'active' },
        power: null,
      });
      expect(state.parts).toHaveLength(manifest.stages.flatMap((s) => s.parts).length);
      // A board without a calibrated profile: its agent may use 3/4 of the memory probed.
      const memTotal = Number(
        /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1],
      );
      expect(
        JSON.parse(readFileSync(join(home, REMOTE_DIR, 'agent.json'), 'utf8')).memoryBudgetBytes,
      ).toBe(Math.floor(memTotal * 1024 * 0.75));
      expect(existsSync(join(home, 'pwned'))).toBe(false);
      expect(
        readdirSync(join(home, REMOTE_DIR, 'parts')).filter((f) => f.endsWith('.part')),
      ).toEqual([]);
    }
    expect(results.get('ghost')).toMatchObject({ status: 'failed', code: 'UNREACHABLE' });
    expect(results.get('stranger')).toMatchObject({ status: 'failed', code: 'AUTH_FAILED' });
    expect(results.get('stranger')!.message).toMatch(/refused the key login/);
    process.stderr.write(
      `provisioned 2 boards in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });

  it('provisioning again with nothing changed uploads nothing', () => {
    const { results } = provision('board-1', 'board-2');
    for (const b of boards.slice(0, 2)) {
      expect(results.get(b.name)).toMatchObject({
        status: 'ok',
        bytesUploaded: 0,
        modelBytesUploaded: 0,
      });
      expect(results.get(b.name)!.message).toMatch(/^up to date/);
    }
  });

  it('runs a real distributed inference with --check across the provisioned agents', async () => {
    const inv = await Inventory.load(inventory);
    const farm = await provisionedFarm(inv.select(['board-1', 'board-2']), dataDir, [
      lab.hostAddress,
    ]);
    const checker = await ResultChecker.create(encodeModel(model), manifest.output);
    try {
      const outcome = await executeRun({
        runId: 'provisioned-farm',
        plan: deploymentOf(manifest, [[['board-1']], [['board-2']]], farm.agents),
        // Stage 1 on board-1 sends its activations straight to board-2 over the lab network.
        agents: farm.agents,
        identity: farm.coordinator,
        sinkHost: lab.hostAddress,
        source: syntheticSource(manifest.input),
        frames: 12,
        window: 2,
        checker,
        recorder: null,
        events: null,
        log: createLogger('warn'),
      });
      expect(outcome.completed).toBe(12);
      expect(outcome.lost).toBe(0);
      expect(outcome.mismatched).toBe(0);
      expect(outcome.maxAbsDiff).toBeLessThan(CHECK_TOLERANCE);
    } finally {
      await checker.close();
    }
  });

  it('reads logs and stops, starts and reports on the agents', () => {
    const logs = mchair('devices', 'logs', 'board-1', '--inventory', inventory);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('"event":"listening"');
    const status = (...names: string[]) =>
      JSON.parse(
        mchair('devices', 'service', 'status', ...names, '--inventory', inventory, '--json').stdout,
      ).devices;
    expect(status('board-1', 'board-2').map((d: { state: string }) => d.state)).toEqual([
      'active',
      'active',
    ]);
    expect(mchair('devices', 'service', 'stop', 'board-2', '--inventory', inventory).code).toBe(0);
    expect(status('board-2')[0]).toMatchObject({ state: 'inactive', mode: 'background' });
    expect(mchair('devices', 'service', 'start', 'board-2', '--inventory', inventory).code).toBe(0);
    expect(status('board-2')[0].state).toBe('active');
  });

  it('refuses a board whose host key changed, whatever the flags, and carries on with the others', async () => {
    const before = boards[1]!.sshd.hostKeyFingerprint();
    await boards[1]!.sshd.changeHostKey();
    const after = boards[1]!.sshd.hostKeyFingerprint();
    const { code, results } = provision('board-1', 'board-2', '--accept-new');
    expect(code).toBe(1);
    expect(results.get('board-1')).toMatchObject({ status: 'ok', bytesUploaded: 0 });
    const changed = results.get('board-2')!;
    expect(changed.code).toBe('HOST_KEY_CHANGED');
    expect(changed.message).toContain(before);
    expect(changed.message).toContain(after);
  });

  it('uninstalls an agent and its folder', () => {
    const r = mchair(
      'devices',
      'service',
      'uninstall',
      'board-1',
      '--inventory',
      inventory,
      '--json',
    );
    expect(JSON.parse(r.stdout).devices[0]).toMatchObject({ state: 'uninstalled' });
    expect(existsSync(join(boards[0]!.user.home, REMOTE_DIR))).toBe(false);
    expect(existsSync(boards[0]!.user.home)).toBe(true);
  });
});
