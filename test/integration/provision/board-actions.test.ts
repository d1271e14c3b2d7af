// `mchair devices reboot|shutdown|uninstall` against real OpenSSH boards, each in a network
// namespace of its own. There is no systemd here to reboot, so each board's PATH starts with a
// `systemctl` of the test's that records how it was called (and, on board-2, refuses a power-off
// as logind does without the right): what the CLI sent is what the board ran. An installed agent
// is laid out as provisioning leaves it (mode file, version, parts); uninstall removes it, and
// every board's state is remembered in the data folder's boards.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BoardResult } from '../../../src-main/contract/boards';
import { loadBoardStates } from '../../../src-main/inventory/boardStates';
import { createLab, startBoard, tempDir, type Board, type Lab } from '../ssh/sshd';

const CLI = join(process.cwd(), 'bin', 'mchair.js');
let dir: string;
let dataDir: string;
let lab: Lab;
const boards: Array<Board & { name: string; calls: string }> = [];

function mchair(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function results(stdout: string): Map<string, BoardResult> {
  const doc = JSON.parse(stdout.trim()) as { devices: unknown[] };
  return new Map(doc.devices.map((d) => BoardResult.parse(d)).map((r) => [r.name, r]));
}

const calls = (b: (typeof boards)[number]): string[] =>
  existsSync(b.calls) ? readFileSync(b.calls, 'utf8').split('\n').filter(Boolean) : [];

/** What provisioning leaves in the board's agent folder (background mode: no systemd here). */
function layAgent(b: Board): void {
  const home = join(b.user.home, '.mchair-agent');
  mkdirSync(join(home, 'parts'), { recursive: true });
  writeFileSync(join(home, 'service-mode'), 'background\n');
  writeFileSync(join(home, 'argv.json'), '["node","agent/mchair-agent.mjs"]\n');
  writeFileSync(join(home, 'agent-version'), '0.1.0+0123456789ab\n');
  writeFileSync(join(home, 'parts', `${'a'.repeat(64)}.onnx`), Buffer.alloc(1234));
  execFileSync('chown', ['-R', `${b.user.name}:`, home]);
}

beforeAll(async () => {
  dir = tempDir('mchair-board-actions');
  dataDir = join(dir, 'data');
  lab = createLab(2);
  for (const [i, ns] of lab.boards.entries()) {
    const name = `board-${i + 1}`;
    const bin = join(dir, `bin-${name}`);
    const log = join(dir, `calls-${name}`);
    mkdirSync(bin);
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    const refuses = i === 1;
    writeFileSync(
      join(bin, 'systemctl'),
      [
        '#!/bin/sh',
        `echo "$(id -un) systemctl $*" >> ${log}`,
        refuses
          ? 'case "$1" in poweroff) echo "Failed to power off system via logind: Interactive authentication required." >&2; exit 1;; esac'
          : '',
        'exit 0',
      ].join('\n'),
    );
    chmodSync(join(bin, 'systemctl'), 0o755);
    const board = await startBoard(dir, {
      userPrefix: 'mcb',
      sshd: {
        host: ns.boardAddress,
        netns: ns.name,
        setEnv: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin` },
      },
    });
    boards.push({ ...board, name, calls: log });
    layAgent(board);
    const add = mchair(
      'devices',
      'add',
      name,
      '--host',
      board.sshd.host,
      '--user',
      board.user.name,
      '--key',
      board.key.privateFile,
    );
    expect(add.stderr).toBe('');
  }
}, 120_000);

afterAll(async () => {
  for (const b of boards) await b.stop();
  lab?.remove();
});

it('asks before it acts: without a terminal and without --yes nothing is done', () => {
  const r = mchair('devices', 'reboot', 'board-1', 'board-2', '--accept-new');
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/no terminal to confirm on: pass --yes to reboot board-1, board-2/);
  expect(boards.flatMap(calls)).toEqual([]);
});

/** The CLI on a pty (util-linux `script`), answering its question with `answer`. */
function onTerminal(answer: string, ...args: string[]): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, '--data-dir', dataDir, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const child = spawn('script', ['-qefc', `stty cols 160 rows 40; ${command}`, '/dev/null'], {
    stdio: 'pipe',
  });
  let screen = '';
  let asked = false;
  const onData = (d: Buffer): void => {
    screen += d.toString();
    if (!asked && /\[y\/N\]/.test(screen)) {
      asked = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, screen })),
  );
}

it('asks on the terminal, and does nothing unless the answer is yes', async () => {
  const no = await onTerminal('n', 'devices', 'reboot', 'board-2', '--accept-new');
  expect(no.screen).toMatch(
    /Reboot board-2\? Runs on them stop; their agent service starts again at boot\. \[y\/N\]/,
  );
  expect(no.screen).toMatch(/nothing done to board-2/);
  expect(no.code).not.toBe(0);
  expect(calls(boards[1]!)).toEqual([]);
});

it('reboots many boards at once, as their own user, and remembers them as rebooting', async () => {
  const r = mchair('devices', 'reboot', 'board-1', 'board-2', '--yes', '--accept-new', '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = results(r.stdout);
  for (const b of boards) {
    expect(out.get(b.name)).toMatchObject({ status: 'ok', message: 'rebooting' });
    expect(calls(b)).toEqual([`${b.user.name} systemctl reboot`]);
  }
  const states = await loadBoardStates(join(dataDir, 'boards.json'));
  expect(states.get('board-1')).toMatchObject({
    power: 'rebooting',
    agentVersion: '0.1.0+0123456789ab',
    service: { mode: 'background', state: 'inactive' },
    parts: [{ file: `${'a'.repeat(64)}.onnx`, bytes: 1234 }],
  });
});

it('a board that refuses to shut down fails on its own, with what it said and what to do', () => {
  const r = mchair('devices', 'shutdown', 'board-1', 'board-2', '--yes', '--json');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/1 of 2 device\(s\) failed: board-2 \(BOARD_REFUSED\)/);
  const out = results(r.stdout);
  expect(out.get('board-1')).toMatchObject({ status: 'ok', message: 'shutting down' });
  expect(out.get('board-2')).toMatchObject({ status: 'failed', code: 'BOARD_REFUSED' });
  expect(out.get('board-2')!.message).toBe(
    `board-2 refused to shut down (Failed to power off system via logind: Interactive authentication required.); give ${boards[1]!.user.name} passwordless sudo for systemctl on the board, or do it there`,
  );
  // The failed board keeps the state it had.
  expect(out.get('board-2')!.state?.power).toBe('rebooting');
  expect(out.get('board-1')!.state?.power).toBe('shut down');
  expect(calls(boards[0]!).at(-1)).toBe(`${boards[0]!.user.name} systemctl poweroff`);
});

it('uninstalls the agent from one board and leaves the other alone', async () => {
  const r = mchair('devices', 'uninstall', 'board-1', '--yes', '--json');
  expect(r.stderr).toBe('');
  expect(results(r.stdout).get('board-1')).toMatchObject({
    status: 'ok',
    message: 'agent uninstalled',
    state: { agentVersion: null, service: null, parts: [], power: null },
  });
  expect(existsSync(join(boards[0]!.user.home, '.mchair-agent'))).toBe(false);
  expect(existsSync(join(boards[1]!.user.home, '.mchair-agent', 'agent-version'))).toBe(true);
  // `devices list` shows what each board last said, as the Farm table does.
  const list = mchair('devices', 'list').stdout.split('\n');
  expect(list[0]).toMatch(/\bSTATE$/);
  expect(list.find((l) => l.startsWith('board-1'))).toMatch(/no agent installed \(seen /);
  expect(list.find((l) => l.startsWith('board-2'))).toMatch(/rebooting \(seen /);
  const again = mchair('devices', 'uninstall', 'board-9', '--yes');
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/no device named "board-9"/);
});
