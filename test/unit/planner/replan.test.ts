// The musical chair: re-planning when boards leave or join, and plan documents read back.
import { beforeAll, describe, expect, it } from 'vitest';
import { Plan } from '../../../src-main/contract/plan';
import {
  changeFarm,
  farmFromSpec,
  loadPlannerModel,
  planModel,
  predictPlan,
  replan,
  type PlannerModel,
} from '../../../src-main/planner/index';

let alexnet: PlannerModel;
let vgg: PlannerModel;
beforeAll(() => {
  alexnet = loadPlannerModel('alexnet-mc');
  vgg = loadPlannerModel('vgg16');
});

describe('replan', () => {
  it('keeps the running plan when a replica leaves and nothing better exists', () => {
    const farm = farmFromSpec('pi3:6');
    const current = planModel(alexnet, farm).plans[0]!;
    const r = replan(alexnet, current, changeFarm(farm, ['pi3-3'], []));
    expect(r.switchPlan).toBe(false);
    expect(r.why).toMatch(/pi3-3 left/);
    expect(r.plan.stages.flatMap((s) => s.parts.flatMap((p) => p.devices))).not.toContain('pi3-3');
    expect(r.plan.prediction.ips).toBeCloseTo((current.prediction.ips * 5) / 6, 1);
  });

  it('switches when a part loses its only device, and the new plan fits the rest', () => {
    const farm = farmFromSpec('pi3:11');
    const current = planModel(vgg, farm).plans[0]!;
    const half = current.stages.find((s) => s.parts.length > 1)!.parts[0]!.devices[0]!;
    const r = replan(vgg, current, changeFarm(farm, [half], []));
    expect(r.switchPlan).toBe(true);
    expect(r.why).toMatch(new RegExp(`${half} left.*no device left`));
    const used = r.plan.stages.flatMap((s) => s.parts.flatMap((p) => p.devices));
    expect(used).not.toContain(half);
    expect(r.plan.devices).toHaveLength(10);
    for (const d of r.plan.devices) expect(d.memoryBytes).toBeLessThanOrEqual(d.memoryBudgetBytes);
    expect(r.plan.prediction.ips).toBeGreaterThan(0.8);
  });

  it('puts a joining board to work when that is worth a new plan', () => {
    const farm = farmFromSpec('pi3:6');
    const current = planModel(alexnet, farm).plans[0]!;
    const pi5 = farmFromSpec('pi5:1').devices[0]!;
    const r = replan(alexnet, current, changeFarm(farm, [], [pi5]));
    expect(r.switchPlan).toBe(true);
    expect(r.why).toMatch(/pi5-1 joined/);
    expect(r.plan.stages.flatMap((s) => s.parts.flatMap((p) => p.devices))).toContain('pi5-1');
    expect(r.plan.prediction.ips).toBeGreaterThan(current.prediction.ips * 1.5);
  });
});

describe('plan documents', () => {
  it('read back as the same plan with the same prediction', () => {
    const farm = farmFromSpec('pi3:9');
    const plan = planModel(vgg, farm).plans[0]!;
    const again = predictPlan(vgg, Plan.parse(JSON.parse(JSON.stringify(plan))), farm);
    expect(again.stages).toEqual(plan.stages);
    expect(again.prediction.ips).toBeCloseTo(plan.prediction.ips, 9);
  });

  it('are refused when they name a device the farm lacks', () => {
    const plan = planModel(alexnet, farmFromSpec('pi3:6')).plans[0]!;
    expect(() => predictPlan(alexnet, plan, farmFromSpec('pi3:5'))).toThrow(
      /pi3-6.*not in the farm/,
    );
  });
});

describe('plan schema', () => {
  it('refuses split parts whose channels do not follow one another', () => {
    const plan = planModel(alexnet, farmFromSpec('pi3:6')).plans[0]!;
    const split = {
      ...plan.stages[0]!,
      parts: [
        { id: 's0.p0', channels: [0, 10] as [number, number], devices: ['pi3-1'] },
        { id: 's0.p1', channels: [12, 48] as [number, number], devices: ['pi3-2'] },
      ],
    };
    const r = Plan.safeParse({ ...plan, stages: [split] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/must start at channel 10/);
  });
});
