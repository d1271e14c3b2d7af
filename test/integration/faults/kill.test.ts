// An agent killed mid-run (SIGKILL, --chaos kill) on an emulated pi3:6 farm: the run goes on on
// five boards with every result checked; then a killed agent started again is offered its chair.
import { describe, expect, it } from 'vitest';
import { chaosFixture, chaosRun, expectHandled, expectSurvived, faultsOf } from './chaos-run';

const fx = chaosFixture();

describe('a board killed mid-run', () => {
  it('loses no frame, re-plans on the survivors and recovers', async () => {
    const r = await chaosRun(fx.bundles, fx.home, 100, [
      '--emulate',
      'pi3:6',
      '--chaos',
      'kill:pi3-2@3',
    ]);
    expectSurvived(r, 100);
    const mine = faultsOf(r, 'pi3-2');
    expect(mine).toHaveLength(1);
    const f = mine[0]!;
    expect(f).toMatchObject({ kind: 'lost', device: 'pi3-2', cause: 'kill' });
    expectHandled(f);
    expect(f.plan!.devices).not.toContain('pi3-2');
    expect(f.plan!.predictedIps).toBeLessThan(r.report.predictedIps);
    // Frames it held were in flight: they were sent again, and still nothing came twice.
    expect(f.resent).toBeGreaterThan(0);
    expect(f.redeployMs).not.toBeNull();
    // The log shows the event (with --json the report carries it; see the unit test for the line).
    expect(r.stderr).toMatch(/"device":"pi3-2","kind":"lost","detectionMs"/);
  }, 120_000);

  it('offers a board that comes back its chair again', async () => {
    const r = await chaosRun(fx.bundles, fx.home, 160, [
      '--emulate',
      'pi3:6',
      '--chaos',
      'kill:pi3-2@3,back:pi3-2@10',
    ]);
    expectSurvived(r, 160);
    const mine = faultsOf(r, 'pi3-2');
    expect(mine.map((f) => [f.kind, f.cause])).toEqual([
      ['lost', 'kill'],
      ['back', 'back'],
    ]);
    const back = mine[1]!;
    expect(back.cause).toBe('back');
    expectHandled(back);
    expect(back.plan!.devices).toContain('pi3-2');
    // Back to the six boards the run started with (unless another board is out just now).
    if (r.report.faults.length === 2)
      expect(back.plan!.predictedIps).toBeCloseTo(r.report.predictedIps, 5);
  }, 120_000);
});
