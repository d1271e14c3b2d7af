// Fitting a profile to measurements: figures made by a known board come back as its speeds.
import { describe, expect, it } from 'vitest';
import { fitProfile } from '../../../src-main/planner/calibrate';
import { CostModel } from '../../../src-main/planner/cost';
import { farmFromSpec } from '../../../src-main/planner/farm';
import { analyseChain, opClass } from '../../../src-main/planner/layers';
import type { DeviceProfile } from '../../../src-main/planner/profile';
import { chainModel, smallCnn } from './fixtures';

const pi3 = farmFromSpec('pi3:1').devices[0]!;
const fcHeavy = chainModel(
  'fc-heavy',
  [
    { kind: 'conv', name: 'c', out: 8, k: 3 },
    { kind: 'flatten' },
    { kind: 'fc', name: 'f', out: 512, act: 'Relu' },
  ],
  32,
);
const convHeavy = smallCnn(128);

/** A board 1.5x a Pi 3 at conv work and 0.8x at streaming weights. */
const truth: DeviceProfile = {
  ...pi3.profile,
  ops: {
    conv: {
      ...pi3.profile.ops.conv,
      macsPerSec: pi3.profile.ops.conv.macsPerSec * 1.5,
      bytesPerSec: pi3.profile.ops.conv.bytesPerSec * 1.5,
    },
    pool: {
      ...pi3.profile.ops.pool,
      macsPerSec: pi3.profile.ops.pool.macsPerSec * 1.5,
      bytesPerSec: pi3.profile.ops.pool.bytesPerSec * 1.5,
    },
    elementwise: {
      ...pi3.profile.ops.elementwise,
      macsPerSec: pi3.profile.ops.elementwise.macsPerSec * 1.5,
      bytesPerSec: pi3.profile.ops.elementwise.bytesPerSec * 1.5,
    },
    gemm: {
      ...pi3.profile.ops.gemm,
      macsPerSec: pi3.profile.ops.gemm.macsPerSec * 0.8,
      bytesPerSec: pi3.profile.ops.gemm.bytesPerSec * 0.8,
      spillBytesPerSec: pi3.profile.ops.gemm.spillBytesPerSec! * 0.8,
    },
  },
};
const measure = (m: typeof convHeavy) => {
  const c = new CostModel(analyseChain(m));
  const cost = c.partCost({ ...pi3, profile: truth }, 0, c.layerCount);
  return { model: m, seconds: cost.computeSec + cost.ioSec };
};

describe('fitProfile', () => {
  it('recovers conv and fully connected speeds from a conv-heavy and a weight-heavy model', () => {
    const fit = fitProfile(pi3, [measure(convHeavy), measure(fcHeavy)], {
      withMessages: true,
      basis: 'measured',
      note: 'test',
    });
    expect(fit.scale.spatial).toBeCloseTo(1.5, 6);
    expect(fit.scale.gemm).toBeCloseTo(0.8, 6);
    expect(fit.profile.basis).toBe('measured');
    expect(fit.profile.id).toBe('pi3-measured');
    // The fitted profile predicts the measurements it came from.
    const c = new CostModel(analyseChain(convHeavy));
    const refit = c.partCost({ ...pi3, profile: fit.profile }, 0, c.layerCount);
    expect(refit.computeSec + refit.ioSec).toBeCloseTo(measure(convHeavy).seconds, 9);
  });

  it('scales both kinds together from a single measurement', () => {
    const c = new CostModel(analyseChain(convHeavy));
    const base = c.partCost(pi3, 0, c.layerCount);
    const fixed =
      base.ioSec +
      convHeavy.layers.filter((l) => opClass(l) !== 'free').length * pi3.profile.layerSec;
    // Half the work time, the same fixed costs: twice as fast at both kinds of work.
    const seconds = fixed + (base.computeSec + base.ioSec - fixed) / 2;
    const fit = fitProfile(pi3, [{ model: convHeavy, seconds }], {
      withMessages: true,
      basis: 'measured',
      note: 'test',
    });
    expect(fit.scale.spatial).toBeCloseTo(2, 9);
    expect(fit.scale.gemm).toBeCloseTo(2, 9);
    expect(fit.predicted[0]).toBeCloseTo(seconds, 9);
  });
});
