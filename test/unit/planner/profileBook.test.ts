// Measured profiles kept with the boards: one written into the inventory comes back whole, the
// planner's prediction follows it (a board measured 2x slower halves its share), and an entry
// that is unreadable, of another schema, for another kind of board or old is named. A real
// board's measured link replaces its medium's built-in figures (an emulated board's does not),
// and its memory at rest bounds what its parts may use.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Inventory } from '../../../src-main/inventory/inventory';
import { farmFromFile, farmFromSpec } from '../../../src-main/planner/farm';
import { loadPlannerModel, planModel } from '../../../src-main/planner/index';
import { builtInProfile, mapOpSpeeds } from '../../../src-main/planner/profile';
import {
  memoryAtRest,
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

describe('measured links and memory', () => {
  const model = loadPlannerModel('alexnet-mc');
  const linked = (
    link: StoredProfile['link'],
    peers: StoredProfile['peers'],
    basis = 'measured',
  ) => {
    const s = stored(1);
    return { ...s, profile: { ...s.profile, basis }, link, peers };
  };

  it("costs a shared medium at its boards' measured figures, one air for all, laptop too", () => {
    const { farm: used } = withStoredProfiles(
      farm,
      { 'pi3-1': linked({ latencyMs: 1.5, mbps: 38 }, { 'pi3-2': 35 }) },
      now,
    );
    const air = used.devices[0]!.medium;
    // pi3-2 has no entry of its own but shares the air pi3-1 measured; so does the laptop.
    expect(used.devices[1]!.medium).toBe(air);
    expect(used.coordinator).toBe(air);
    expect(air).toEqual({
      id: 'wifi-2.4',
      kind: 'shared',
      mbps: 36.5,
      latencyMs: 1.5,
      source: 'measured 2026-12-06 (median of 2 links of 1 board)',
    });
    expect(farm.devices[0]!.medium.mbps).toBe(40);
    // Both boards measured: the hop between them counts once (from its sender), not per board.
    const both = withStoredProfiles(
      farm,
      {
        'pi3-1': linked({ latencyMs: 2.4, mbps: 18 }, { 'pi3-2': 14 }),
        'pi3-2': linked({ latencyMs: 2, mbps: 20 }, {}),
      },
      now,
    ).farm.coordinator;
    expect(both.mbps).toBe(18);
    expect(both.latencyMs).toBe(2.2);
    expect(both.source).toBe('measured 2026-12-06 (median of 3 links of 2 boards)');

    // A cell measured at 2 Mbit/s carries fewer frames than the built-in 40: the plan says so.
    const slowAir = withStoredProfiles(
      farm,
      { 'pi3-1': linked({ latencyMs: 4, mbps: 2 }, {}) },
      now,
    ).farm;
    const builtIn = planModel(model, farm).plans[0]!;
    const slow = planModel(model, slowAir).plans[0]!;
    expect(slow.prediction.ips).toBeLessThan(builtIn.prediction.ips * 0.7);
    expect(slow.prediction.bottleneck.kind).toBe('medium');
    expect(slow.prediction.bottleneck.why).toMatch(
      /wifi-2\.4 medium \(2 Mbit\/s, measured 2026-12-06 \(median of 1 link of 1 board\)\)/,
    );
    expect(slow.devices.map((d) => d.link)).toEqual([
      {
        medium: 'wifi-2.4',
        mbps: 2,
        latencyMs: 4,
        source: 'measured 2026-12-06 (median of 1 link of 1 board)',
      },
      {
        medium: 'wifi-2.4',
        mbps: 2,
        latencyMs: 4,
        source: 'measured 2026-12-06 (median of 1 link of 1 board)',
      },
    ]);
    expect(builtIn.devices[0]!.link).toEqual({
      medium: 'wifi-2.4',
      mbps: 40,
      latencyMs: 3,
      source: 'built in',
    });
  });

  it("keeps the farm's links for an emulated board: its link is the emulator's pacing", () => {
    const { farm: used } = withStoredProfiles(
      farm,
      { 'pi3-1': linked({ latencyMs: 1.5, mbps: 79 }, { 'pi3-2': 12 }, 'emulated') },
      now,
    );
    expect(used.devices[0]!.medium).toBe(farm.devices[0]!.medium);
    expect(used.coordinator).toBe(farm.coordinator);
    expect(used.devices[0]!.profile.source).toBe('measured 2026-12-06 (emulated board)');
  });

  it('gives a switched board its own port: the fastest it moved data, its own latency', () => {
    const wired = farmFromFile(
      {
        devices: [
          { id: 'pi3-1', profile: 'pi3', medium: 'ethernet-100' },
          { id: 'pi3-2', profile: 'pi3', medium: 'ethernet-100' },
        ],
      },
      'farm.json',
    );
    const { farm: used } = withStoredProfiles(
      wired,
      { 'pi3-1': linked({ latencyMs: 0.5, mbps: 30 }, { 'pi3-2': 40 }) },
      now,
    );
    expect(used.devices[0]!.medium).toEqual({
      id: 'ethernet-100',
      kind: 'switched',
      mbps: 40,
      latencyMs: 0.5,
      source: 'measured 2026-12-06',
    });
    expect(used.devices[1]!.medium).toBe(wired.devices[1]!.medium);
    // With the laptop on Wi-Fi, its link to the board is bounded by the air, not by the port:
    // only the hop over the switch to pi3-2 tells the port.
    const viaAir = farmFromFile(
      {
        devices: [
          { id: 'pi3-1', profile: 'pi3', medium: 'ethernet-100' },
          { id: 'pi3-2', profile: 'pi3', medium: 'ethernet-100' },
        ],
        coordinator: { medium: 'wifi-2.4' },
      },
      'farm.json',
    );
    const port = (peers: StoredProfile['peers']) =>
      withStoredProfiles(viaAir, { 'pi3-1': linked({ latencyMs: 3.5, mbps: 30 }, peers) }, now).farm
        .devices[0]!.medium;
    expect(port({})).toBe(viaAir.devices[0]!.medium);
    expect(port({ 'pi3-2': 70 })).toMatchObject({
      mbps: 70,
      latencyMs: 0.3,
      source: 'measured 2026-12-06',
    });
    // A hop crosses the switch once, at its slower end: pi3-1's measured 40 Mbit/s port, not
    // the laptop's built-in 94, paces a frame to it and back.
    const plan = planModel(model, used).plans[0]!;
    expect(plan.devices[0]!.link?.source).toBe('measured 2026-12-06');
    expect(plan.devices[1]!.link?.source).toBe('built in');
    const one = (f: typeof used) =>
      planModel(model, { ...f, devices: [f.devices[0]!] }, { objective: 'latency' }).plans[0]!;
    // 150 kB in at 40 instead of 94 Mbit/s is ~17 ms more.
    expect(one(used).prediction.latencyMs).toBeGreaterThan(one(wired).prediction.latencyMs + 10);
  });

  it("bounds a real board's parts by its memory at rest: held plus what the kernel could give", () => {
    const pi3 = builtInProfile('pi3');
    const mib = 2 ** 20;
    expect(memoryAtRest(pi3, { memoryBytes: 90 * mib, availableBytes: 400 * mib })).toEqual({
      ...pi3.memory,
      runtimeBytes: 90 * mib,
      budgetBytes: 490 * mib,
    });
    // Never above the budget its provisioning gave the agent, which the agent enforces.
    expect(
      memoryAtRest(pi3, { memoryBytes: 90 * mib, availableBytes: 4000 * mib }).budgetBytes,
    ).toBe(pi3.memory.budgetBytes);
    expect(memoryAtRest(pi3, { memoryBytes: 90 * mib, availableBytes: null }).budgetBytes).toBe(
      pi3.memory.budgetBytes,
    );
    // The planner's memory check takes it: a board with 150 MiB free cannot hold AlexNet whole.
    const s = stored(1);
    const tight = {
      ...s,
      profile: {
        ...s.profile,
        memory: memoryAtRest(pi3, { memoryBytes: 90 * mib, availableBytes: 150 * mib }),
      },
    };
    const used = withStoredProfiles(farm, { 'pi3-1': tight }, now).farm;
    const plan = planModel(model, used).plans[0]!;
    const d = plan.devices.find((x) => x.device === 'pi3-1')!;
    expect(d.memoryBudgetBytes).toBe(240 * mib);
    expect(d.memoryBytes).toBeLessThanOrEqual(240 * mib);
    const whole = planModel(model, farm).plans[0]!.devices[0]!;
    expect(whole.memoryBytes).toBeGreaterThan(240 * mib);
  });
});
