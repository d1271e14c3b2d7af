// A board holding two roles (a plan may give a device two: planner/colocate.ts) killed mid-run on
// an emulated farm: both its roles go at once, and the run goes on on the survivors with every
// result checked, nothing lost and nothing twice.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CostModel } from '../../../src-main/planner/cost';
import { farmFromSpec, loadPlannerModel } from '../../../src-main/planner/index';
import { analyseChain } from '../../../src-main/planner/layers';
import { toPlan } from '../../../src-main/planner/plan';
import { chaosFixture, chaosRun, expectHandled, expectSurvived, faultsOf } from './chaos-run';

const fx = chaosFixture();

/** alexnet-mc on pi3:4: its convs on pi3-1..3, its fc layers on pi3-3 as well (two roles). */
async function sharedPlanFile(): Promise<{ file: string; ips: number }> {
  const model = loadPlannerModel('alexnet-mc');
  const chain = analyseChain(model);
  const cost = new CostModel(chain);
  const farm = farmFromSpec('pi3:4');
  const [d1, d2, d3] = farm.devices;
  const flat = chain.cutTensor.indexOf('flat');
  expect(flat).toBeGreaterThan(0);
  const plan = toPlan(
    cost,
    [
      { from: 0, to: flat, parts: [{ share: 1, devices: [d1!, d2!, d3!] }] },
      { from: flat, to: cost.layerCount, parts: [{ share: 1, devices: [d3!] }] },
    ],
    farm,
    { origin: 'file', objective: 'ips' },
  );
  expect(plan.devices.find((d) => d.device === 'pi3-3')?.roles).toHaveLength(2);
  const file = join(fx.home, 'shared-plan.json');
  await writeFile(file, JSON.stringify(plan));
  return { file, ips: plan.prediction.ips };
}

describe('a board with two roles killed mid-run', () => {
  it('loses both roles at once, re-plans on the survivors and loses no frame', async () => {
    const shared = await sharedPlanFile();
    const r = await chaosRun(fx.bundles, fx.home, 60, [
      '--emulate',
      'pi3:4',
      '--plan',
      shared.file,
      '--chaos',
      'kill:pi3-3@3',
    ]);
    expectSurvived(r, 60);
    // The run started on that plan (the later --plan wins over chaosRun's auto).
    expect(r.report.predictedIps).toBeCloseTo(shared.ips, 6);
    const mine = faultsOf(r, 'pi3-3');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'lost', device: 'pi3-3', cause: 'kill' });
    expectHandled(mine[0]!);
    expect(mine[0]!.plan!.devices).not.toContain('pi3-3');
  }, 120_000);
});
