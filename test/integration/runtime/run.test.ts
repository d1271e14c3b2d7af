// `mchair run` on an emulated farm started for the run: a paper preset and the planner's own
// plan, checked against the whole model, with the JSON document the issue specifies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let home: string;
let bundles: Bundles;
const cli = (...args: string[]) => bundles.cli(home, ...args);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mchair-run-'));
  bundles = await snapshotBundles();
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await bundles.remove();
});

describe('mchair run', () => {
  it('runs paper-6 on --emulate pi3:6 with every result checked', async () => {
    const r = JSON.parse(
      (
        await cli(
          'run',
          '--model',
          'alexnet-mc',
          '--emulate',
          'pi3:6',
          '--plan',
          'paper-6',
          '--frames',
          '40',
          '--check',
          '--json',
        )
      ).stdout,
    );
    expect(Object.keys(r).sort()).toEqual(
      [
        'agentsLeft',
        'devices',
        'emulated',
        'emulationOverruns',
        'energy',
        'faults',
        'frames',
        'ips',
        'latencyMs',
        'maxAbsDiff',
        'predictedIps',
        'runId',
        'shortfall',
        'state',
        'window',
      ].sort(),
    );
    expect(r.frames).toEqual({ sent: 40, completed: 40, lost: 0, duplicated: 0, mismatched: 0 });
    expect(r.maxAbsDiff).toBeLessThan(1e-5);
    expect(r.emulated).toBe(true);
    expect(r.predictedIps).toBeGreaterThan(0);
    // An emulated farm without --meter gets emulated per-board power, and no fault happened.
    expect(r.faults).toEqual([]);
    expect(r.energy).toMatchObject({ emulated: true, basis: 'device-meters' });
    expect(r.energy.perInferenceJ.total).toBeGreaterThan(r.energy.perInferenceJ.static);
    // paper-6: B and C replicate the conv stack, D and E hold fc_1's halves, F the rest.
    expect(r.devices.map((d: { id: string }) => d.id)).toEqual([
      'pi3-2',
      'pi3-3',
      'pi3-4',
      'pi3-5',
      'pi3-6',
    ]);
    for (const d of r.devices) {
      expect(Object.keys(d).sort()).toEqual([
        'bytesIn',
        'bytesOut',
        'computeMs',
        'emulated',
        'id',
        'profile',
        'utilisation',
      ]);
      expect(d.bytesIn).toBeGreaterThan(0);
    }
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p95);
    expect(r.latencyMs.p95).toBeLessThanOrEqual(r.latencyMs.p99);
  });

  it("runs the planner's own plan on tiny-cnn", async () => {
    const r = JSON.parse(
      (
        await cli(
          'run',
          '--model',
          'tiny-cnn',
          '--emulate',
          'pi4:3',
          '--plan',
          'auto',
          '--frames',
          '30',
          '--check',
          '--json',
        )
      ).stdout,
    );
    expect(r.frames).toMatchObject({ completed: 30, lost: 0, duplicated: 0, mismatched: 0 });
  });

  it('says what to fix for a bad plan or farm', async () => {
    await expect(
      cli('run', '--model', 'tiny-cnn', '--emulate', 'pi3:2', '--plan', 'nonsense.json'),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--plan: "nonsense.json" is not auto/),
    });
    await expect(cli('run', '--model', 'tiny-cnn', '--plan', 'auto')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/exactly one of --emulate/),
    });
  });
});
