// Measured profiles kept with the boards: one written into the inventory comes back whole, the
// planner's prediction follows it (a board measured 2x slower halves its share), and an entry
// that is unreadable, of another schema, for another kind of board or old is named.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Inventory } from '../../../src-main/inventory/inventory';
import { farmFromSpec } from '../../../src-main/planner/farm';
import { loadPlannerModel, planModel } from '../../../src-main/planner/index';
import { mapOpSpeeds } from '../../../src-main/planner/profile';
import {
  STORED_PROFILE_VERSION,
  type StoredProfile,
  withStoredProfiles,
} from '../../../src-main/planner/profileBook';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mchair-profilebook-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const farm = farmFromSpec('pi3:2');
const pi3 = farm.devices[0]!.profile;
const measuredAt = '2026-12-06T06:00:00.000Z';
const now = new Date('2026-12-07T00:00:00Z');

/** pi3-1 measured `k` times as fast as the built-in Pi 3 at everything. */
function stored(k: number): StoredProfile {
  return {
    version: STORED_PROFILE_VERSION,
    base: 'pi3',
    measuredAt,
    profile: {
      ...pi3,
      basis: 'measured',
      ops: mapOpSpeeds(pi3.ops, (o) => ({
        ...o,
        macsPerSec: o.macsPerSec * k,
        bytesPerSec: o.bytesPerSec * k,
        ...(o.spillBytesPerSec ? { spillBytesPerSec: o.spillBytesPerSec * k } : {}),
      })),
    },
    probes: [{ family: 'k3-wide', seconds: 0.04, scale: k }],
    link: { latencyMs: 1.5, mbps: 38 },
    peers: { 'pi3-2': 35 },
    power: { idleWatts: null, busyWatts: null },
  };
}

async function keep(entry: unknown): Promise<Inventory> {
  const path = join(dir, 'inventory.json');
  await Inventory.edit(path, (inv) => inv.setProfile('pi3-1', entry));
  return Inventory.load(path);
}

describe('measured profiles in the inventory', () => {
  it('round-trips through the inventory file (schema version 2) unchanged', async () => {
    const inv = await keep(stored(0.5));
    expect(inv.storedProfiles()['pi3-1']).toEqual(stored(0.5));
    const file = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8'));
    expect(file.version).toBe(2);
    const { farm: used, notes } = withStoredProfiles(farm, inv.storedProfiles(), now);
    expect(notes).toEqual([]);
    expect(used.devices[0]!.profile.source).toBe('measured 2026-12-06');
    expect(used.devices[1]!.profile).toBe(pi3);
  });

  it('reads a version 1 inventory (before profiles) as one without any', async () => {
    const path = join(dir, 'inventory.json');
    writeFileSync(path, JSON.stringify({ version: 1, devices: [] }));
    expect((await Inventory.load(path)).storedProfiles()).toEqual({});
  });

  it('plans with it: a board measured 2x slower than built in changes the prediction', async () => {
    const model = loadPlannerModel('alexnet-mc');
    const best = (entry: unknown) => {
      const used = withStoredProfiles(farm, entry ? { 'pi3-1': entry } : {}, now).farm;
      return planModel(model, used).plans[0]!;
    };
    const builtIn = best(undefined);
    const slow = best((await keep(stored(0.5))).storedProfiles()['pi3-1']);
    expect(slow.prediction.ips).toBeLessThan(builtIn.prediction.ips * 0.85);
    expect(slow.devices.find((d) => d.device === 'pi3-1')!.profileSource).toBe(
      'measured 2026-12-06',
    );
    expect(slow.devices.find((d) => d.device === 'pi3-2')!.profileSource).toBe('built in');
    expect(slow.prediction.basis).toBe('mixed');
    // The same speeds as built in predict the same.
    expect(best(stored(1)).prediction.ips).toBeCloseTo(builtIn.prediction.ips, 9);
  });

  it('names an entry it cannot use and plans that board with its built-in profile', () => {
    const use = (entry: unknown, at = now) => withStoredProfiles(farm, { 'pi3-1': entry }, at);
    const newer = use({ ...stored(0.5), version: 3 });
    expect(newer.notes).toEqual([
      expect.stringMatching(/pi3-1: .*schema version 3, this app reads 1/),
    ]);
    expect(newer.farm.devices[0]!.profile).toBe(pi3);
    const torn = use({ ...stored(0.5), measuredAt: 'yesterday' });
    expect(torn.notes[0]).toMatch(/pi3-1: its stored profile is unreadable \(measuredAt/);
    const other = use({ ...stored(0.5), base: 'pi4' });
    expect(other.notes[0]).toMatch(/measured as a pi4 but the board is now a pi3/);
    expect(other.farm.devices[0]!.profile.source).toBe(
      'built in (the measured profile was for a pi4)',
    );
    const old = use(stored(0.5), new Date('2027-06-01T00:00:00Z'));
    expect(old.notes[0]).toMatch(/measured 176 days ago/);
    expect(old.farm.devices[0]!.profile.source).toBe('measured 2026-12-06, stale: 176 days old');
  });

  it("forgets a removed board's profile with it", async () => {
    const path = join(dir, 'inventory.json');
    await Inventory.edit(path, (inv) => {
      inv.add({ name: 'pi3-1', host: '10.0.0.3', user: 'pi' });
      inv.setProfile('pi3-1', stored(1));
    });
    await Inventory.edit(path, (inv) => inv.remove('pi3-1'));
    expect((await Inventory.load(path)).storedProfiles()).toEqual({});
  });
});
