// Fitting a profile to its probes: timings made by a known board come back as its speeds, per
// family, with the probes' helper layers and messages priced apart.
import { describe, expect, it } from 'vitest';
import { familyOf, fitFamilies, type ProbeTiming } from '../../../src-main/planner/calibrate';
import { CostModel } from '../../../src-main/planner/cost';
import { farmFromSpec } from '../../../src-main/planner/farm';
import { analyseChain } from '../../../src-main/planner/layers';
import { type BoardProfile, mapOpSpeeds } from '../../../src-main/planner/profile';
import { PROBE_FAMILIES, probeModel } from '../../../src-main/planner/probes';
import { plannerModelOf } from '../../../src-main/planner/source';
import { inspectModel } from '../../../src-main/model/index';

const pi3 = farmFromSpec('pi3:1').devices[0]!;
const probes = PROBE_FAMILIES.map((family) => {
  const m = probeModel(family);
  return { family, model: plannerModelOf(m.name, inspectModel(m)) };
});

/** A board 1.5x a Pi 3 at dense and grouped convs, 0.8x at streaming weights, 1x elsewhere. */
const truth: BoardProfile = {
  ...pi3.profile,
  ops: mapOpSpeeds(pi3.profile.ops, (o, cls) => {
    const k = cls === 'conv' ? 1.5 : cls === 'gemm' ? 0.8 : 1;
    return {
      ...o,
      macsPerSec: o.macsPerSec * k,
      bytesPerSec: o.bytesPerSec * k,
      ...(o.spillBytesPerSec ? { spillBytesPerSec: o.spillBytesPerSec * k } : {}),
    };
  }),
};

/** What the board takes for a probe, messages included (as an emulated board's hold). */
const timed = (profile: BoardProfile): ProbeTiming[] =>
  probes.map(({ family, model }) => {
    const c = new CostModel(analyseChain(model));
    const cost = c.partCost({ ...pi3, profile }, 0, c.layerCount);
    return { family, model, seconds: cost.computeSec + cost.ioSec };
  });

describe('fitFamilies', () => {
  it('each probe is mostly its own family', () => {
    for (const { family, model } of probes)
      expect(model.layers.filter((l) => familyOf(l) === family).length).toBeGreaterThan(0);
  });

  it('gives a board its own speeds back, family by family', () => {
    const { ops, fits } = fitFamilies(pi3, timed(truth), { withMessages: true });
    const scale = Object.fromEntries(fits.map((f) => [f.family, f.scale]));
    for (const f of ['k1-narrow', 'k1-wide', 'k3-narrow', 'k3-wide', 'k5-narrow', 'k5-wide'])
      expect(scale[f]).toBeCloseTo(1.5, 6);
    expect(scale.grouped).toBeCloseTo(1.5, 6);
    expect(scale.dwconv).toBeCloseTo(1, 6);
    expect(scale.gemm).toBeCloseTo(0.8, 6);
    expect(scale.pool).toBeCloseTo(1, 6);
    expect(scale.elementwise).toBeCloseTo(1, 6);
    expect(ops.conv.macsPerSec).toBeCloseTo(truth.ops.conv.macsPerSec, 0);
    expect(ops.convSizes?.['k3-wide']?.macsPerSec).toBeCloseTo(truth.ops.conv.macsPerSec, 0);
    // The fitted profile predicts the probes it came from.
    const refit = timed({ ...pi3.profile, ops });
    timed(truth).forEach((t, i) => expect(refit[i]!.seconds).toBeCloseTo(t.seconds, 9));
  });

  it('keeps one size class apart from the others', () => {
    const slowK1: BoardProfile = {
      ...pi3.profile,
      ops: {
        ...pi3.profile.ops,
        convSizes: { 'k1-wide': { ...pi3.profile.ops.conv, macsPerSec: 1e9, bytesPerSec: 1e8 } },
      },
    };
    const { fits } = fitFamilies(pi3, timed(slowK1), { withMessages: true });
    const scale = Object.fromEntries(fits.map((f) => [f.family, f.scale]));
    expect(scale['k1-wide']).toBeLessThan(0.6);
    expect(scale['k3-wide']).toBeCloseTo(1, 6);
  });

  it('bounds a probe lost in its overheads instead of dividing by nothing', () => {
    const t = timed(pi3.profile).map((x) => ({ ...x, seconds: 1e-6 }));
    const { fits } = fitFamilies(pi3, t, { withMessages: true });
    for (const f of fits) expect(f.scale).toBeCloseTo(50, 9);
  });
});
