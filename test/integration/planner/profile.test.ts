// `mchair profile --emulate pi3:1,pi4:1` as a user runs it: a 2-board virtual farm started for
// it, every layer family's probe computed by each board's agent with onnxruntime, the measured
// profiles kept in the data folder's inventory with no --out, and `mchair plan` for the same
// boards then planning with them and saying so per board.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMchair } from '../cli/run-mchair';
import { Plan } from '../../../src-main/contract/plan';
import { PROBE_FAMILIES } from '../../../src-main/planner/probes';
import { StoredProfile } from '../../../src-main/planner/profileBook';

const dir = mkdtempSync(join(tmpdir(), 'mchair-profile-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mchair = (...args: string[]) => runMchair('--data-dir', dataDir, ...args);

describe('mchair profile on a 2-board virtual farm', () => {
  it('measures each family on each board, keeps the profiles and plans with them', async () => {
    const r = await mchair('profile', '--emulate', 'pi3:1,pi4:1', '--frames', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      devices: Array<{ device: string } & StoredProfile>;
      inventory: string;
    };
    expect(doc.devices.map((d) => d.device)).toEqual(['pi3-1', 'pi4-1']);
    expect(doc.inventory).toBe(join(dataDir, 'inventory.json'));
    for (const d of doc.devices) {
      expect(d.probes.map((p) => p.family)).toEqual(PROBE_FAMILIES);
      expect(d.profile.basis).toBe('emulated');
      expect(d.link.latencyMs).toBeGreaterThan(0);
      expect(d.link.latencyMs).toBeLessThan(500);
    }
    // A Pi 3's holds are far longer than this machine's compute: its built-in speeds come back.
    // (A Pi 4's may not: this loaded machine can compute slower than a Pi 4 would, and that is
    // what the emulated board then does.)
    const [pi3, pi4] = doc.devices;
    for (const p of pi3!.probes) {
      expect(p.scale, p.family).toBeGreaterThan(0.7);
      expect(p.scale, p.family).toBeLessThan(1.3);
    }
    for (const p of pi4!.probes) expect(p.scale, p.family).toBeGreaterThan(0.2);

    // Kept with the boards: the inventory holds them, checked as it is read.
    const inv = JSON.parse(readFileSync(doc.inventory, 'utf8'));
    expect(inv.version).toBe(2);
    expect(Object.keys(inv.profiles).sort()).toEqual(['pi3-1', 'pi4-1']);
    for (const e of Object.values(inv.profiles)) StoredProfile.parse(e);

    const p = await mchair('plan', '--model', 'alexnet-mc', '--devices', 'pi3:1,pi4:1', '--json');
    expect(p.code, p.stderr).toBe(0);
    const plan = Plan.parse(JSON.parse(p.stdout));
    for (const d of plan.devices)
      expect(d.profileSource).toMatch(/^measured \d{4}-\d\d-\d\d \(emulated board\)$/);
    // A board the profile never measured plans with its built-in profile.
    const more = await mchair('plan', '--model', 'alexnet-mc', '--devices', 'pi3:2', '--json');
    const two = Plan.parse(JSON.parse(more.stdout)).devices.map((d) => d.profileSource);
    expect(two[0]).toMatch(/^measured/);
    expect(two[1]).toBe('built in');
  }, 240_000);

  it('says in one line what to fix', async () => {
    const both = await mchair('profile', '--emulate', 'pi3:1', '--devices', 'x');
    expect(both.code).toBe(1);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
    expect(both.stderr).toMatch(/exactly one of --emulate SPEC/);
  });
});
