// Boards that join a run, the parts without agents: the 5% rule (a join the planner predicts
// under it is recorded, not deployed), the names `farm add` gives, and the farm file watcher
// noticing a board appended by an atomic rewrite.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunFault } from '../../../src-main/contract/run';
import { nextBoards } from '../../../src-main/farm/labFarm';
import type { FarmEndpoints } from '../../../src-main/farm/farmfile';
import { createLogger } from '../../../src-main/log';
import {
  changeFarm,
  farmFromSpec,
  loadPlannerModel,
  planModel,
  replan,
  type Farm,
} from '../../../src-main/planner/index';
import type { Coordinator } from '../../../src-main/runtime/coordinator';
import { boardsOf, type RunPlan } from '../../../src-main/runtime/deployment';
import { Faults } from '../../../src-main/runtime/faults';
import {
  farmFileMembership,
  JOIN_GAIN,
  joinWorthIt,
  type Newcomer,
} from '../../../src-main/runtime/join';
import { writeFileAtomic } from '../../../src-main/store/atomic';
import { inventoryMembership } from '../../../src-main/runtime/boardsJoin';
import { Inventory } from '../../../src-main/inventory/inventory';
import { saveBoardStates } from '../../../src-main/inventory/boardStates';
import type { BoardRecord as Board } from '../../../src-main/inventory/boardRecord';

const pm = loadPlannerModel('alexnet-mc');
const log = createLogger('silent');

/** The planner's best plan on `spec`, and the re-plan with one `profile` board joining. */
function joining(spec: string, profile: string) {
  const farm = farmFromSpec(spec);
  const current = planModel(pm, farm).plans[0]!;
  const board = { ...farmFromSpec(`${profile}:1`).devices[0]!, id: 'new-1' };
  return { farm, current, board, r: replan(pm, current, changeFarm(farm, [], [board])) };
}

describe('joinWorthIt', () => {
  it('takes a board the planner predicts far above 5% with (a Pi 4 beside two Pi 3s)', () => {
    const { current, r } = joining('pi3:2', 'pi4');
    const offer = joinWorthIt(current, r);
    expect(offer.take).toBe(true);
    expect(offer.gain).toBeCloseTo(7.93 / 3.64 - 1, 1);
    expect(offer.why).toMatch(/^new-1 joined: /);
  });

  it('leaves out a board worth a re-plan by the planner (2%) but under 5%', () => {
    // Ten Pi 4s at 42.9 IPS, a Pi 3 more: 44.7 (+4%).
    const { current, r } = joining('pi4:10', 'pi3');
    expect(r.switchPlan).toBe(true);
    const offer = joinWorthIt(current, r);
    expect(offer.gain).toBeGreaterThan(0.02);
    expect(offer.gain).toBeLessThan(JOIN_GAIN);
    expect(offer.take).toBe(false);
    expect(offer.why).toBe(
      'new-1 joined: the planner predicts +4% IPS with it, under the +5% a re-plan needs; the plan stays',
    );
  });
});

describe('Faults.join', () => {
  /** Faults on `farm` whose coordinator counts redeployments (the real one needs agents). */
  function faultsOn(farm: Farm, plan = planModel(pm, farm).plans[0]!) {
    const deployed: RunPlan[] = [];
    const recorded: RunFault[] = [];
    /** Boards given a chair, with how many plans had deployed then (its meter starts there). */
    const seated: [string, number][] = [];
    const coordinator = {
      startedAtMs: 0,
      phase: 'run',
      deployed: true,
      completedBetween: () => 0,
      changing: <T>(work: () => Promise<T>) => work(),
      redeploy: async (p: RunPlan) => {
        deployed.push(p);
        return 3;
      },
    } as unknown as Coordinator;
    const faults = new Faults({
      model: pm,
      plan,
      farm,
      coordinator,
      // Each part with its boards, as deploymentOf makes them (the addresses do not matter here).
      materialise: async (p) => ({
        input: { name: 'x', dtype: 'float32', shape: [1] },
        output: 'y',
        stages: p.stages.map((st) => ({
          id: st.id,
          parts: st.parts.map((x) => ({
            part: x.id,
            replicas: x.devices.map((id) => ({ id, host: '127.0.0.1', port: 1 })),
          })),
        })) as unknown as RunPlan['stages'],
      }),
      causeOf: () => null,
      onFault: (f) => recorded.push(f),
      suspect: () => undefined,
      onFatal: () => undefined,
      excuse: () => undefined,
      onSeated: (b) => seated.push([b.id, deployed.length]),
      log,
    });
    return { faults, deployed, recorded, seated };
  }

  it('re-plans with a board worth a chair, through the same redeploy as a fault', async () => {
    const { faults, deployed, recorded, seated } = faultsOn(farmFromSpec('pi3:2'));
    const board = farmFromSpec('pi4:1').devices[0]!;
    faults.join(board, performance.now() - 100);
    await faults.settled();
    faults.stop();
    expect(deployed).toHaveLength(1);
    // Seated (its meter started) before the plan with it deployed: loading its parts is the run's.
    expect(seated).toEqual([['pi4-1', 0]]);
    expect(boardsOf(deployed[0]!)).toContain('pi4-1');
    expect(faults.farm.devices.map((d) => d.id)).toEqual(['pi3-1', 'pi3-2', 'pi4-1']);
    expect(faults.current.devices.map((d) => d.device)).toContain('pi4-1');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ kind: 'joined', device: 'pi4-1', cause: null, resent: 3 });
    expect(recorded[0]!.gain).toBeGreaterThan(1);
    expect(recorded[0]!.detectionMs).toBeGreaterThanOrEqual(100);
    expect(recorded[0]!.plan!.devices).toContain('pi4-1');
  });

  it('records a board under 5% without redeploying, and keeps it for later re-plans', async () => {
    const { faults, deployed, recorded, seated } = faultsOn(farmFromSpec('pi4:10'));
    const board = farmFromSpec('pi3:1').devices[0]!;
    faults.join(board, performance.now());
    await faults.settled();
    faults.stop();
    expect(deployed).toHaveLength(0);
    expect(seated).toEqual([]);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ kind: 'joined', device: 'pi3-1', plan: null });
    expect(recorded[0]!.why).toMatch(/under the \+5% a re-plan needs; the plan stays$/);
    expect(faults.current.devices.some((d) => d.device === 'pi3-1' && d.part !== null)).toBe(false);
    expect(faults.farm.devices).toHaveLength(11);
  });
});

describe('nextBoards', () => {
  it('names added boards after those already in the farm', () => {
    const f = nextBoards('pi4:2,pi3:1', ['pi4-1', 'pi4-3', 'pi3-1']);
    expect(f.devices.map((d) => d.id)).toEqual(['pi4-2', 'pi4-4', 'pi3-2']);
    expect(f.devices.map((d) => d.profile.id)).toEqual(['pi4', 'pi4', 'pi3']);
  });

  it('refuses a bad spec in one line', () => {
    expect(() => nextBoards('pi4:x', [])).toThrow(/"pi4:x" is not NAME or NAME:COUNT/);
    expect(() => nextBoards('warp9:1', [])).toThrow(/warp9/);
  });
});

describe('farmFileMembership', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const farmFile = (ids: string[]): FarmEndpoints => ({
    version: 1,
    emulated: true,
    tlsDir: 'tls',
    coordinatorId: 'coordinator',
    partsDir: 'parts',
    devices: ids.map((id, i) => ({
      id,
      profile: id.replace(/-\d+$/, ''),
      host: '127.0.0.1',
      port: 4000 + i,
    })),
    airtime: [],
  });

  it('names a board appended to the farm file once, never those the run has', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mchair-join-'));
    const file = join(dir, 'farm.json');
    await writeFileAtomic(file, JSON.stringify(farmFile(['pi3-1', 'pi3-2'])));
    const seen: Newcomer[] = [];
    const stop = farmFileMembership(file, ['pi3-1', 'pi3-2'], log).watch((n) => seen.push(n));
    try {
      // The file's mtime must change: a second apart at most on coarse file systems.
      await new Promise((r) => setTimeout(r, 50));
      await writeFileAtomic(file, '{"version": 1, "devices": "not a list"}');
      await new Promise((r) => setTimeout(r, 700));
      expect(seen).toEqual([]);
      await writeFileAtomic(file, JSON.stringify(farmFile(['pi3-1', 'pi3-2', 'pi4-1'])));
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
      expect(seen[0]!.agent).toEqual({
        id: 'pi4-1',
        host: '127.0.0.1',
        port: 4002,
        profile: 'pi4',
      });
      expect(seen[0]!.board.profile.id).toBe('pi4');
      expect(seen[0]!.since).toBeLessThanOrEqual(performance.now());
      // Written again (another board's add): pi4-1 is not named twice.
      await new Promise((r) => setTimeout(r, 50));
      await writeFileAtomic(file, JSON.stringify(farmFile(['pi3-1', 'pi3-2', 'pi4-1', 'pi4-2'])));
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(2);
      expect(seen[1]!.agent.id).toBe('pi4-2');
    } finally {
      stop();
    }
  });
});

describe('inventoryMembership', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names a board added to the inventory once provisioning recorded its agent', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mchair-join-'));
    const inventory = join(dir, 'inventory.json');
    const states = join(dir, 'boards.json');
    const add = (name: string, profile?: string) =>
      Inventory.edit(inventory, (inv) =>
        inv.add({ name, host: '10.0.0.9', user: 'pi', ...(profile ? { profile } : {}) }),
      );
    const provisioned = (name: string) =>
      saveBoardStates(
        states,
        new Map([
          [
            name,
            {
              agentVersion: '1.0.0+abc',
              service: { mode: 'systemd-user' as const, state: 'active' },
              parts: [],
              lastSeen: new Date().toISOString(),
              power: null,
            },
          ],
        ]),
      );
    await add('pi-01', 'pi3');
    await provisioned('pi-01');
    const seen: Newcomer[] = [];
    const admitted: Board[] = [];
    const stop = inventoryMembership({
      inventory,
      states,
      known: ['pi-01'],
      admit: (b) => admitted.push(b),
      log,
    }).watch((n) => seen.push(n));
    try {
      await new Promise((r) => setTimeout(r, 50));
      // Added, not provisioned yet; and one without a board type, provisioned: neither joins.
      await add('pi-02', 'pi4');
      await add('pi-03');
      await provisioned('pi-03');
      await new Promise((r) => setTimeout(r, 800));
      expect(seen).toEqual([]);
      await provisioned('pi-02');
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
      expect(seen[0]!.agent).toMatchObject({ id: 'pi-02', host: '10.0.0.9', profile: null });
      expect(seen[0]!.board.profile.id).toBe('pi4');
      expect(admitted).toEqual([]);
      seen[0]!.admit!();
      expect(admitted.map((b) => b.name)).toEqual(['pi-02']);
      // Written again: pi-02 is not named twice.
      await provisioned('pi-01');
      await new Promise((r) => setTimeout(r, 800));
      expect(seen).toHaveLength(1);
    } finally {
      stop();
    }
  });
});
