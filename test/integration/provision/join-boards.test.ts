// A board of the lab that joins a run on all the lab's boards: board-1 behind a real OpenSSH
// server is provisioned and runs tiny-cnn through the contract's run/start (every board of the
// inventory chosen); meanwhile board-2 is added to the inventory and provisioned by `mchair
// provision` (a real agent started over SSH). The run notices it from provisioning's record,
// probes its agent, pushes it its part over SFTP and re-plans with it: no frame lost.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../src-main/contract/index';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { runMchair, type CliResult } from '../cli/run-mchair';
import { addBoardArgs } from './addBoard';
import { startBoard, tempDir, type Board } from '../ssh/sshd';

let dir: string;
let dataDir: string;
let machine: Board;

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', dataDir, ...args);

beforeAll(async () => {
  dir = tempDir('mchair-board-joins');
  dataDir = join(dir, 'data');
  machine = await startBoard(dir, { userPrefix: 'mcj' });
  const added = await mchair(...(await addBoardArgs('board-1', machine, '--remote-dir', '.mc-a')));
  expect(added.code, added.stderr).toBe(0);
  const provisioned = await mchair('provision', 'board-1', '--accept-new', '--json');
  expect(provisioned.code, provisioned.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  // Each board's agent runs as a background process of the test user: uninstall stops it.
  await mchair('devices', 'uninstall', 'board-1', 'board-2', '--yes').catch(() => undefined);
  await machine?.stop();
});

describe('a board provisioned while a run goes on all the lab boards', () => {
  it('joins the run: its part pushed, a re-plan with it, no frame lost', async () => {
    const core: Core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
    const joined: Array<EventPayload<'run/fault'>> = [];
    const plans: Array<EventPayload<'run/plan'>> = [];
    const ended = new Promise<{ runId: string; state: string; message: string | null }>((resolve) =>
      core.events.subscribe((name, payload) => {
        if (name === 'run/fault') joined.push(payload as EventPayload<'run/fault'>);
        if (name === 'run/plan') plans.push(payload as EventPayload<'run/plan'>);
        const p = payload as { runId: string; state?: string; message: string | null };
        if (name === 'run/state' && ['done', 'failed', 'stopped'].includes(p.state ?? ''))
          resolve({ runId: p.runId, state: p.state!, message: p.message });
      }),
    );
    let runId = '';
    try {
      const started = await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'inventory', devices: ['board-1'] },
        plan: 'auto',
        frames: 100_000,
      });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      runId = (started as { ok: true; result: { runId: string } }).result.runId;
      await expect.poll(() => plans.length, { timeout: 60_000 }).toBeGreaterThan(0);
      expect(plans[0]!.plan.devices.map((d) => d.device)).toEqual(['board-1']);

      const added = await mchair(
        ...(await addBoardArgs('board-2', machine, '--remote-dir', '.mc-b')),
      );
      expect(added.code, added.stderr).toBe(0);
      const provisioned = await mchair('provision', 'board-2', '--json');
      expect(provisioned.code, provisioned.stderr).toBe(0);

      await expect
        .poll(() => joined.filter((f) => f.kind === 'joined' && f.plan).length, {
          timeout: 60_000,
        })
        .toBe(1);
      await expect.poll(() => plans.length, { timeout: 10_000 }).toBeGreaterThan(1);
    } finally {
      if (runId) await core.dispatch('run/stop', { runId });
      const end = await ended;
      await core.close();
      expect(end, JSON.stringify(joined)).toMatchObject({ state: 'stopped', message: null });
    }
    const f = joined.find((x) => x.kind === 'joined')!;
    expect(f).toMatchObject({ device: 'board-2', cause: null });
    // Two x86-laptop boards where there was one: the planner predicts twice the IPS.
    expect(f.gain!).toBeGreaterThan(0.5);
    expect(f.plan!.devices.sort()).toEqual(['board-1', 'board-2']);
    expect(plans[plans.length - 1]!.plan.devices.filter((d) => d.part !== null)).toHaveLength(2);

    const runDir = join(dataDir, 'runs', runId);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as {
      frames: { sent: number; completed: number; lost: number; duplicated: number };
      faults: Array<{ kind: string; device: string }>;
    };
    expect(report.frames.lost).toBe(0);
    expect(report.frames.duplicated).toBe(0);
    expect(report.frames.completed).toBe(report.frames.sent);
    expect(report.faults.map((x) => [x.kind, x.device])).toContainEqual(['joined', 'board-2']);
    // board-2 holds the part the new plan gives it, sent over SFTP, named by its sha256.
    const folder = join(machine.user.home, '.mc-b', 'parts');
    const held = readdirSync(folder).map((file) =>
      createHash('sha256')
        .update(readFileSync(join(folder, file)))
        .digest('hex'),
    );
    expect(held.length).toBeGreaterThan(0);
    for (const [i, file] of readdirSync(folder).entries()) expect(file).toBe(`${held[i]}.onnx`);
  }, 300_000);
});
