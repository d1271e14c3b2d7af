// `mchair plan` as a user runs it: the built CLI in a child process. Its plan document must be
// what `mchair partition --plan` accepts, and bad input must give one line and the right exit code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMchair } from '../cli/run-mchair';
import { Manifest } from '../../../src-main/contract/manifest';
import { Plan } from '../../../src-main/contract/plan';

const dir = mkdtempSync(join(tmpdir(), 'mchair-plan-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mchair = runMchair;

describe('mchair plan', () => {
  it('prints one plan document that mchair partition --plan cuts the model by', async () => {
    const r = await mchair(
      'plan',
      '--model',
      'alexnet-mc',
      '--devices',
      'pi3:6',
      '--preset',
      'paper-6',
      '--json',
      '--out',
      join(dir, 'plan.json'),
    );
    expect(r.code).toBe(0);
    const plan = Plan.parse(JSON.parse(r.stdout));
    expect(plan.origin).toBe('paper-6');
    expect(plan.stages.map((s) => s.parts.length)).toEqual([1, 2, 1]);
    for (const d of plan.devices)
      expect(Object.keys(d)).toEqual(
        expect.arrayContaining([
          'device',
          'stage',
          'part',
          'memoryBytes',
          'memoryBudgetBytes',
          'utilisation',
        ]),
      );
    expect(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')).stages).toEqual(plan.stages);

    const p = await mchair(
      'partition',
      '--model',
      'alexnet-mc',
      '--plan',
      join(dir, 'plan.json'),
      '--out',
      join(dir, 'parts'),
      '--json',
    );
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const manifest = Manifest.parse(
      JSON.parse(readFileSync(join(dir, 'parts', 'manifest.json'), 'utf8')),
    );
    expect(manifest.stages.map((s) => s.parts.length)).toEqual([1, 2, 1]);
  });

  it('searches, explains the bottleneck and lists alternatives', async () => {
    const r = await mchair(
      'plan',
      '--model',
      'alexnet-mc',
      '--devices',
      'pi3:5,pi4:1',
      '--top',
      '3',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/predicted [\d.]+ IPS/);
    expect(r.stdout).toMatch(/bottleneck: /);
    expect(r.stdout).toMatch(/alternative 1: /);
    expect(r.stdout).toMatch(/pi4-1 +pi4/);
  });

  it('reads a farm file with its own media', async () => {
    const farm = join(dir, 'farm.json');
    writeFileSync(
      farm,
      JSON.stringify({
        devices: [
          { id: 'a', profile: 'pi3', medium: 'wire' },
          { id: 'b', profile: 'pi3', medium: 'wire' },
        ],
        media: [{ id: 'wire', kind: 'switched', mbps: 100, latencyMs: 0.5 }],
      }),
    );
    const r = await mchair(
      'plan',
      '--model',
      'tiny-cnn',
      '--farm',
      farm,
      '--objective',
      'latency',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(Plan.parse(JSON.parse(r.stdout)).objective).toBe('latency');
  });

  it('says in one line what to fix', async () => {
    const both = await mchair(
      'plan',
      '--model',
      'alexnet-mc',
      '--devices',
      'pi3:2',
      '--farm',
      'x.json',
    );
    expect(both.code).toBe(2);
    expect(both.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(both.stderr).toMatch(/--devices: give either --devices/);
    const board = await mchair('plan', '--model', 'alexnet-mc', '--devices', 'pi9:2');
    expect(board.code).toBe(1);
    expect(board.stderr).toMatch(/unknown device profile "pi9"/);
    const small = await mchair(
      'plan',
      '--model',
      'vgg16',
      '--devices',
      'pi3:9',
      '--preset',
      'paper-11',
    );
    expect(small.stderr).toMatch(/paper-11 needs 11 devices; the farm has 9/);
    const cap = await mchair(
      'plan',
      '--model',
      'alexnet-mc',
      '--devices',
      'pi3:2',
      '--max-latency',
      '1',
    );
    expect(cap.code).toBe(1);
    expect(cap.stderr).toMatch(/within 1 ms/);
  });
});
