// Energy math: trapezoids on timestamps, run windows, gaps, and the paper's per-inference split
// reproduced from its published inferences per second and energy figures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findGaps,
  integrateJ,
  perInference,
  powerStats,
  window,
} from '../../../src-main/power/energy';
import type { PowerSample } from '../../../src-main/power/sample';
import { PAPER_FIGURES } from '../../../src-main/reports/paper';

describe('integration', () => {
  it('is exact for a linear ramp, whatever the spacing', () => {
    const ts = [0, 130, 270, 1000, 1450, 3000];
    const samples = ts.map((t) => ({ t, w: 10 + 4 * (t / 1000) }));
    // ∫0..3 (10 + 4t) dt = 30 + 18
    expect(integrateJ(samples)).toBeCloseTo(48, 12);
    const s = powerStats(samples);
    expect(s).toMatchObject({ samples: 6, minW: 10, maxW: 22, durationS: 3 });
    expect(s.avgW).toBeCloseTo(16, 12);
  });

  it('gives one sample its watts and no energy', () => {
    expect(powerStats([{ t: 5, w: 7 }])).toEqual({
      samples: 1,
      avgW: 7,
      minW: 7,
      maxW: 7,
      energyJ: 0,
      durationS: 0,
    });
    expect(powerStats([])).toMatchObject({ samples: 0, energyJ: 0 });
  });

  it('splits a trace at any times into windows whose energies add up', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 300, noNaN: true })),
          { minLength: 2, maxLength: 40 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, cut) => {
          let t = 0;
          const samples: PowerSample[] = steps.map(([dt, w]) => ({ t: (t += dt), w }));
          const first = samples[0]!.t;
          const last = samples[samples.length - 1]!.t;
          const mid = first + (last - first) * cut;
          const whole = integrateJ(samples);
          const parts =
            integrateJ(window(samples, first, mid)) + integrateJ(window(samples, mid, last));
          expect(parts).toBeCloseTo(whole, 6);
        },
      ),
    );
  });

  it('interpolates a window that falls between two samples', () => {
    const w = window(
      [
        { t: 0, w: 0 },
        { t: 1000, w: 100 },
      ],
      250,
      750,
    );
    expect(w).toEqual([
      { t: 250, w: 25 },
      { t: 750, w: 75 },
    ]);
    expect(integrateJ(w)).toBeCloseTo(25, 12);
  });

  it('flags gaps longer than twice the interval, or the median spacing when none is known', () => {
    const samples = [0, 100, 200, 300, 650, 750, 960].map((t) => ({ t, w: 1 }));
    expect(findGaps(samples, 100)).toEqual([
      { fromS: 0.3, toS: 0.65 },
      { fromS: 0.75, toS: 0.96 },
    ]);
    expect(findGaps(samples, 0)).toEqual([
      { fromS: 0.3, toS: 0.65 },
      { fromS: 0.75, toS: 0.96 },
    ]);
    expect(findGaps(samples, 200)).toEqual([]);
  });
});

describe("the paper's energy per inference", () => {
  for (const p of PAPER_FIGURES) {
    it(`${p.model} on ${p.system}: power x latency, split into idle and the rest`, () => {
      // The watts the figures imply: idle = static x IPS, dynamic = dynamic x IPS.
      const idleW = p.staticJ * p.ips;
      const dynamicW = p.dynamicJ * p.ips;
      // A 70 s run sampled every ~0.5 s with jitter; the load wobbles +-30% with a 7 s period,
      // which averages out over whole periods, as real load does over a run.
      const samples: PowerSample[] = [];
      for (let i = 0; i <= 140; i++) {
        const t = i === 0 || i === 140 ? i * 500 : i * 500 + ((i * 37) % 11) - 5;
        samples.push({ t, w: idleW + dynamicW * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 7000)) });
      }
      const stats = powerStats(samples);
      const per = perInference(stats.avgW, idleW, p.ips)!;
      expect(per.static).toBeCloseTo(p.staticJ, 9);
      expect(Math.abs(per.dynamic - p.dynamicJ) / p.dynamicJ).toBeLessThan(0.005);
      // Total is the paper's own third bar: it must agree with static + dynamic within its +-2%.
      expect(Math.abs(per.total - p.totalJ) / p.totalJ).toBeLessThan(0.02);
    });
  }

  it('5 Pis idle at 1.3 W each (the Pi 3 figure) give the published static energy', () => {
    const per = perInference(5 * 1.3, 5 * 1.3, 4.3)!;
    expect(Math.abs(per.static - 1.5) / 1.5).toBeLessThan(0.02);
    expect(per.dynamic).toBeCloseTo(0, 12);
  });

  it('has no per-inference figure without a rate', () => {
    expect(perInference(10, 1, 0)).toBeNull();
  });
});
