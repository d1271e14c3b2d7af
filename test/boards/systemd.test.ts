// The agent under a real systemd: a board booted by systemd-nspawn (systemd as PID 1), provisioned
// with a system unit. The unit passes systemd-analyze verify, starts at boot, comes back after the
// agent is SIGKILLed, `mchair devices logs` reads its journal, and a board rebooted in the middle
// of a run rejoins it and is offered its chair again.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceProvisionResult } from '../../src-main/contract/provision';
import { runMchair, type CliResult } from '../integration/cli/run-mchair';
import { addBoardArgs } from '../integration/provision/addBoard';
import { createLab, startBoard, tempDir, type Board, type Lab } from '../integration/ssh/sshd';
import { answers, startSystemdBoard, type SystemdBoard } from './systemd';

const UNIT = 'mchair-agent-7700.service';

let dir: string;
let dataDir: string;
let lab: Lab;
let x86: Board;
let board: SystemdBoard;

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', dataDir, ...args);

async function until<T>(what: string, probe: () => T | Promise<T>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const mainPid = (): number =>
  Number(board.exec(`systemctl show -p MainPID --value ${UNIT}`).trim());

beforeAll(async () => {
  dir = tempDir('mchair-systemd-board');
  dataDir = join(dir, 'data');
  lab = createLab(2);
  const [nx86, nsys] = lab.boards as [Lab['boards'][0], Lab['boards'][0]];
  [x86, board] = await Promise.all([
    startBoard(dir, { userPrefix: 'mcs', sshd: { host: nx86.boardAddress, netns: nx86.name } }),
    startSystemdBoard(nsys),
  ]);
  const added = [
    await mchair(...(await addBoardArgs('x86', x86))),
    await mchair(...(await addBoardArgs('sysd', board, '--agent-port', '7700'))),
  ];
  for (const a of added) expect(a.code, a.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await Promise.all([x86?.stop(), board?.stop()]);
  lab?.remove();
});

describe('the agent under systemd as PID 1', () => {
  it('goes in as a system unit that systemd-analyze verifies, enabled and running', async () => {
    expect(board.exec('systemctl is-system-running --wait || true').trim()).toMatch(
      /^(running|degraded)$/,
    );
    const r = await mchair(
      'provision',
      'x86',
      'sysd',
      '--system-service',
      '--accept-new',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const sysd = DeviceProvisionResult.parse(JSON.parse(r.stdout).devices[1]);
    expect(sysd).toMatchObject({ status: 'ok', service: 'systemd-system' });
    expect(sysd.message).toMatch(/listening on port 7700 \(systemd-system\)/);
    expect(board.exec(`systemctl is-enabled ${UNIT}`).trim()).toBe('enabled');
    expect(board.exec(`systemctl is-active ${UNIT}`).trim()).toBe('active');
    // systemd's own check of the unit file as installed (exit 0; it prints only problems).
    expect(
      board.exec(`systemd-analyze verify /etc/systemd/system/${UNIT} 2>&1; echo "exit $?"`).trim(),
    ).toBe('exit 0');
  });

  it('restarts the agent after a SIGKILL, and `mchair devices logs` reads it in the journal', async () => {
    const before = mainPid();
    expect(before).toBeGreaterThan(0);
    board.exec(`kill -KILL ${before}`);
    const after = await until('a new agent process', () => {
      const pid = mainPid();
      return pid > 0 && pid !== before ? pid : 0;
    });
    expect(after).not.toBe(before);
    expect(Number(board.exec(`systemctl show -p NRestarts --value ${UNIT}`))).toBeGreaterThan(0);
    await until('the agent listening again', () => answers(board.sshd.host, 7700));
    const logs = await mchair('devices', 'logs', 'sysd', '--lines', '200');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(
      /mchair-agent-7700\.service: Main process exited, code=killed, status=9\/KILL/,
    );
    expect(logs.stdout).toMatch(/"event":"listening"/);
  });

  it('starts the agent at boot', async () => {
    const pid = mainPid();
    board.exec('systemctl reboot');
    await until('the reboot', () => board.boots() === 2);
    await board.booted();
    await until(
      'the agent listening after the reboot',
      () => answers(board.sshd.host, 7700),
      90_000,
    );
    expect(mainPid()).not.toBe(pid);
    expect(board.exec(`systemctl is-active ${UNIT}`).trim()).toBe('active');
  });

  it('a board rebooted mid-run rejoins the run and is offered its chair', async () => {
    const run = (frames: number): Promise<CliResult> =>
      mchair(
        'run',
        '--model',
        'tiny-cnn',
        '--devices',
        'x86,sysd',
        '--plan',
        'auto',
        '--frames',
        String(frames),
        '--json',
      );
    // How fast this machine runs the pair today, so the real run lasts about 40 s whatever the load.
    const t0 = Date.now();
    const short = await run(400);
    expect(short.code, short.stderr).toBe(0);
    const perFrameMs = (Date.now() - t0) / 400;
    const frames = Math.min(100_000, Math.max(2000, Math.round(40_000 / perFrameMs)));
    const running = run(frames);
    // The parts are on the board since the short run: the run is under way within seconds.
    await new Promise((r) => setTimeout(r, 5000));
    const boots = board.boots();
    board.exec('systemctl reboot');
    await until('the reboot', () => board.boots() === boots + 1);
    const r = await running;
    const report = JSON.parse(r.stdout);
    // The frames the board held when it went down are sent again elsewhere: none is lost (4 of
    // 2000 were once, judged lost while the new plan's parts were still being pushed over SSH).
    expect(report.frames).toMatchObject({
      sent: frames,
      completed: frames,
      lost: 0,
      duplicated: 0,
      mismatched: 0,
    });
    const mine = (
      report.faults as Array<{ device: string; kind: string; plan?: { devices: string[] } }>
    ).filter((f) => f.device === 'sysd');
    expect(mine.map((f) => f.kind)).toEqual(['lost', 'back']);
    expect(mine[1]!.plan!.devices).toContain('sysd');
  });
});
