// `mchair profile --devices` on a real board: a board behind a real OpenSSH server on 127.x,
// provisioned by `mchair provision` (a real agent computing for real, not an emulated one), is
// measured through its agent (the probes' parts pushed to it over SFTP), its profile fitted to
// what it measured and kept in the inventory; `mchair plan --farm` plans with the --out file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan } from '../../../src-main/contract/plan';
import { builtInProfile } from '../../../src-main/planner/profile';
import { PROBE_FAMILIES } from '../../../src-main/planner/probes';
import { StoredProfile } from '../../../src-main/planner/profileBook';
import { runMchair, type CliResult } from '../cli/run-mchair';
import { addBoardArgs } from './addBoard';
import { startBoard, tempDir, type Board } from '../ssh/sshd';

let dir: string;
let dataDir: string;
let board: Board;

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', dataDir, ...args);

beforeAll(async () => {
  dir = tempDir('mchair-profile-boards');
  dataDir = join(dir, 'data');
  board = await startBoard(dir, { userPrefix: 'mcp' });
  const added = await mchair(...(await addBoardArgs('bench-1', board)));
  expect(added.code, added.stderr).toBe(0);
  const provisioned = await mchair('provision', 'bench-1', '--accept-new', '--json');
  expect(provisioned.code, provisioned.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await board?.stop();
});

describe('mchair profile on a provisioned board', () => {
  it('measures the board through its agent and plans with the measured profile', async () => {
    const out = join(dir, 'measured.json');
    const r = await mchair(
      'profile',
      '--devices',
      'bench-1',
      '--frames',
      '4',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      devices: Array<{ device: string } & StoredProfile>;
      inventory: string;
    };
    // A real agent's compute, not an emulated board's hold: the profile is measured.
    const [board] = doc.devices;
    expect(board?.device).toBe('bench-1');
    expect(board?.base).toBe('x86-laptop');
    expect(board?.profile.basis).toBe('measured');
    expect(board?.probes.map((p) => p.family)).toEqual(PROBE_FAMILIES);
    for (const p of board!.probes) {
      expect(p.seconds).toBeGreaterThan(0);
      expect(p.seconds).toBeLessThan(5);
    }
    // Its agent's memory at rest is the runtime a plan leaves room for; that and what the
    // kernel could still give bound its parts, never above the budget its provisioning gave it.
    const { memory } = board!.profile;
    expect(memory.runtimeBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(memory.budgetBytes).toBeGreaterThan(memory.runtimeBytes);
    expect(memory.budgetBytes).toBeLessThanOrEqual(builtInProfile('x86-laptop').memory.budgetBytes);
    expect(board!.link.mbps).toBeGreaterThan(0);
    // Kept with the board in the inventory, without --out.
    const inv = JSON.parse(readFileSync(doc.inventory, 'utf8'));
    expect(StoredProfile.parse(inv.profiles['bench-1']).profile.basis).toBe('measured');
    // The farm file it wrote plans with the measured profile.
    expect(JSON.parse(readFileSync(out, 'utf8')).devices[0].profile.basis).toBe('measured');
    const p = await mchair('plan', '--model', 'alexnet-mc', '--farm', out, '--json');
    expect(p.code, p.stderr).toBe(0);
    const plan = Plan.parse(JSON.parse(p.stdout));
    expect(plan.prediction.basis).toBe('measured');
    expect(plan.devices.map((d) => d.device)).toEqual(['bench-1']);
    // The plan costs the board's messages on its measured link and budgets its measured memory.
    const [planned] = plan.devices;
    expect(planned?.link?.source).toMatch(/^measured \d{4}-\d\d-\d\d$/);
    expect(planned?.link?.mbps).toBeCloseTo(board!.link.mbps!, 6);
    expect(planned?.link?.latencyMs).toBeCloseTo(board!.link.latencyMs, 6);
    expect(planned?.memoryBudgetBytes).toBe(Math.round(memory.budgetBytes));
  });

  it('says in one line what to fix for a board it cannot measure', async () => {
    const r = await mchair('profile', '--devices', 'ghost', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no device named "ghost"/);
    const both = await mchair('profile', '--devices', 'bench-1', '--emulate', 'pi3:1');
    expect(both.code).toBe(2);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
    expect(both.stderr).toMatch(/exactly one of --emulate SPEC.*--farm FILE and --devices NAMES/);
  });
});
