// A board slowed 5x mid-run (emulated thermal throttling, --chaos slow): the heartbeat sees its
// new speed, the planner weighs it, and throughput meets the new plan's prediction.
import { describe, expect, it } from 'vitest';
import { chaosFixture, chaosRun, expectHandled, expectSurvived, faultsOf } from './chaos-run';

const fx = chaosFixture();

describe('a board slowed 5x mid-run', () => {
  it('is re-planned at its new speed with no frame lost', async () => {
    // Long enough that frames keep coming for the recovery window well after the fault.
    const r = await chaosRun(fx.bundles, fx.home, 160, [
      '--emulate',
      'pi3:6',
      '--chaos',
      'slow:pi3-3@3:5',
    ]);
    expectSurvived(r, 160);
    const mine = faultsOf(r, 'pi3-3');
    // A board five times slower may also fall silent past LOST_MS on a loaded machine: lost and
    // back again after the slowdown, never before it.
    expect(mine.slice(1).map((x) => x.kind)).toEqual(
      mine.slice(1).map((_, i) => (i % 2 === 0 ? 'lost' : 'back')),
    );
    const f = mine[0]!;
    expect(f).toMatchObject({ kind: 'slowed', device: 'pi3-3', cause: 'slow', slowdown: 5 });
    expectHandled(f);
    // One board at a fifth of its speed: the farm loses most of that board's share, not more.
    const share = 1 - (1 - 1 / 5) / 6;
    expect(f.plan!.predictedIps).toBeLessThan(r.report.predictedIps);
    expect(f.plan!.predictedIps).toBeGreaterThan(0.9 * share * r.report.predictedIps);
    expect(r.stderr).toMatch(/"device":"pi3-3","kind":"slowed"/);
  }, 120_000);
});
