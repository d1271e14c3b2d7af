// The pure parts of surviving board failures: --chaos parsing (one-line errors naming the bad
// part), the farm as it is after a fault, a slowed board's profile, the recovery window and the
// terminal line; and the planner re-planning within the 1 s budget on the farms the tests use.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src-main/contract/errors';
import { faultWhen } from '../../../src-main/contract/run';
import { farmFromSpec, loadPlannerModel, planModel, replan } from '../../../src-main/planner/index';
import { parseChaos } from '../../../src-main/runtime/chaos';
import {
  farmNow,
  nothingLeftError,
  slowedProfile,
  smallestFarm,
  windowRate,
} from '../../../src-main/runtime/faults';
import { RunFigures } from '../../../src-main/runtime/stats';
import { describeFault } from '../../../src-main/runtime/supervise';
import { JOINED } from '../joinedFault';

const devices = ['pi3-1', 'pi3-2', 'pi3-3'];

describe('parseChaos', () => {
  it('reads kill, cut, slow and back, sorted by time', () => {
    expect(parseChaos('slow:pi3-1@4.5:5, kill:pi3-2@3,cut:pi3-3@0,back:pi3-2@9', devices)).toEqual([
      { kind: 'cut', device: 'pi3-3', at: 0, factor: null },
      { kind: 'kill', device: 'pi3-2', at: 3, factor: null },
      { kind: 'slow', device: 'pi3-1', at: 4.5, factor: 5 },
      { kind: 'back', device: 'pi3-2', at: 9, factor: null },
    ]);
  });

  it('reads moments of the run beside seconds, after the timed faults', () => {
    expect(
      parseChaos(
        'kill:pi3-1@deploy,kill:pi3-2@connect,kill:pi3-3@first-result,kill:pi3-1@replan,kill:pi3-2@drain,kill:pi3-3@2',
        devices,
      ).map((a) => `${a.device}@${a.at}`),
    ).toEqual([
      'pi3-3@2',
      'pi3-1@deploy',
      'pi3-2@connect',
      'pi3-3@first-result',
      'pi3-1@replan',
      'pi3-2@drain',
    ]);
  });

  it.each([
    ['kill:pi3-9@3', /"kill:pi3-9@3": no device "pi3-9" in the farm/],
    ['explode:pi3-1@3', /"explode:pi3-1@3" is not kill:DEVICE@WHEN/],
    ['kill:pi3-1', /"kill:pi3-1" is not kill:DEVICE@WHEN/],
    [
      'kill:pi3-1@deploying',
      /"kill:pi3-1@deploying" is not .*one of connect, deploy, first-result, replan, drain/,
    ],
    ['kill:pi3-1@-1', /"kill:pi3-1@-1" is not/],
    ['slow:pi3-1@3', /"slow:pi3-1@3": slow needs a FACTOR above 1/],
    ['slow:pi3-1@3:1', /"slow:pi3-1@3:1": slow needs a FACTOR above 1/],
    ['kill:pi3-1@3:5', /"kill:pi3-1@3:5": only slow takes a FACTOR/],
    ['kill:pi3-1@3,', /"" is not kill:DEVICE@WHEN/],
    ['kill:pi3-1@4000', /"kill:pi3-1@4000": the time must be at most 3600 s/],
  ])('refuses %s in one line naming it', (spec, message) => {
    let err: unknown;
    try {
      parseChaos(spec, devices);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('the farm after a fault', () => {
  const farm = farmFromSpec('pi3:3');

  it('drops lost boards and costs slowed ones at their new speed', () => {
    const now = farmNow(farm, new Set(['pi3-1']), new Map([['pi3-2', 5]]));
    expect(now.devices.map((d) => d.id)).toEqual(['pi3-2', 'pi3-3']);
    const slow = now.devices[0]!.profile;
    const base = farm.devices[1]!.profile;
    expect(slow.ops.conv.macsPerSec).toBeCloseTo(base.ops.conv.macsPerSec / 5);
    expect(slow.ops.gemm.bytesPerSec).toBeCloseTo(base.ops.gemm.bytesPerSec / 5);
    expect(slow.layerSec).toBeCloseTo(base.layerSec * 5);
    expect(now.devices[1]!.profile).toBe(farm.devices[2]!.profile);
    // The memory a board has does not change with its clock.
    expect(slow.memory).toEqual(base.memory);
  });

  it('re-plans a 5x slower board: the prediction loses about its share, within 1 s', () => {
    const model = loadPlannerModel('alexnet-mc');
    const six = farmFromSpec('pi3:6');
    const plan = planModel(model, six).plans[0]!;
    const t0 = performance.now();
    const r = replan(model, plan, farmNow(six, new Set(), new Map([['pi3-3', 5]])));
    expect(performance.now() - t0).toBeLessThan(1000);
    const share = 1 - (1 - 1 / 5) / 6;
    expect(r.plan.prediction.ips).toBeLessThan(plan.prediction.ips);
    expect(r.plan.prediction.ips).toBeGreaterThan(0.9 * share * plan.prediction.ips);
    // And a lost board: the plan runs on the five others.
    const lost = replan(model, plan, farmNow(six, new Set(['pi3-2']), new Map()));
    expect(lost.plan.devices.map((d) => d.device)).not.toContain('pi3-2');
  });

  it('keeps a slowed profile a valid one', () => {
    const p = slowedProfile(farm.devices[0]!.profile, 2.5);
    expect(p.name).toMatch(/2\.5x slower/);
    expect(p.io.messageSec).toBeCloseTo(farm.devices[0]!.profile.io.messageSec * 2.5);
  });
});

describe('windowRate', () => {
  it('counts completions in the trailing window after the change only', () => {
    // 10 per second from t = 0 to 5 s.
    const figures = new RunFigures();
    for (let i = 0; i < 50; i++) figures.add(5, i * 100 + 50);
    const between = (from: number, to: number) => figures.completedBetween(from, to);
    expect(windowRate(between, 1000, 2500)).toBeNull();
    expect(windowRate(between, 1000, 3000)).toBe(10);
    expect(windowRate(between, 0, 5000)).toBe(10);
    // Nothing after 5 s: the window empties.
    expect(windowRate(between, 0, 8000)).toBe(0);
  });
});

describe('describeFault', () => {
  it('says what happened, how fast it was handled and when throughput was back', () => {
    expect(
      describeFault({
        kind: 'lost',
        device: 'pi3-2',
        cause: 'kill',
        phase: 'run',
        at: 3.02,
        detectedAt: 3.3,
        detectionMs: 280.4,
        slowdown: null,
        replanMs: 14.2,
        redeployMs: 700,
        resent: 12,
        plan: { origin: 'auto', predictedIps: 9.1044, devices: ['a', 'b', 'c', 'd', 'e'] },
        why: '',
        recoveryS: 2.61,
      }),
    ).toBe(
      'fault at 3.0 s: pi3-2 lost (kill); detected in 280 ms, re-plan 14 ms, redeploy 700 ms, 12 frames sent again; plan auto on 5 devices, predicted 9.10 IPS; 90% of it after 2.6 s',
    );
  });

  it('says a joined board and its predicted gain', () => {
    expect(describeFault(JOINED)).toBe(
      'change at 8.8 s: board joined: pi4-1, +118% predicted; detected in 67 ms, re-plan 14 ms, redeploy 1744 ms, 4 frames sent again; plan auto on 3 devices, predicted 7.93 IPS',
    );
  });

  it('says the moment of a fault met before the first frame or during a re-plan', () => {
    expect(faultWhen({ phase: 'connect', at: 0 })).toBe('while connecting');
    expect(faultWhen({ phase: 'deploy', at: 0 })).toBe('while the boards loaded their parts');
    expect(faultWhen({ phase: 'replan', at: 4.25 })).toBe(
      "at 4.3 s, during a re-plan's redeployment",
    );
    expect(faultWhen({ phase: 'drain', at: 9 })).toBe('at 9.0 s, while the last frames drained');
  });
});

describe('when nothing left can hold the model', () => {
  it('names the missing boards and the smallest farm that would do, in one line', () => {
    const model = loadPlannerModel('vgg16');
    const farm = farmFromSpec('pi3:11');
    const need = smallestFarm(model, farm);
    expect(need).not.toBeNull();
    const n = need!.devices.length;
    expect(n).toBeGreaterThan(1);
    // One board fewer holds no plan; that many do.
    expect(() => planModel(model, { ...farm, devices: farm.devices.slice(0, n - 1) })).toThrow();
    const lost = new Set(farm.devices.slice(1).map((d) => d.id));
    const err = nothingLeftError(model, farm, lost);
    expect(err.code).toBe('FARM_TOO_SMALL');
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(
      new RegExp(
        `^nothing left can hold vgg16: pi3-2, .*pi3-11 are missing and pi3-1 cannot hold it alone; the smallest farm that would do is ${n} boards \\(pi3:${n}\\)`,
      ),
    );
  });
});
