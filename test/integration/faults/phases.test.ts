// A board lost at every moment of a run (issue 20, must 1): while the coordinator connects, while
// the boards load their parts, at the first result, during a re-plan's redeployment, and while the
// last frames drain, each with `--chaos kill:DEV@PHASE` SIGKILLing the virtual farm's real agent by
// pid at that moment. Every run re-plans on what is left and completes every frame once, checked,
// in order, with the fault and its moment in the run's record. Then the same from outside, as a
// user would see it: an agent of a farm file killed 1.5 s and 3 s into `mchair run` (these ended
// the run with AGENT_UNREACHABLE and DEPLOY_FAILED before). And when nothing left can hold the
// model, the run ends with one line naming the missing boards and the smallest farm that would do.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chaosFixture, chaosRun, expectSurvived, faultsOf, type ChaosRun } from './chaos-run';

const fx = chaosFixture();
const FRAMES = 40;

/** The run survived losing `device` at `phase`, and says so in its record. */
function expectLostAt(r: ChaosRun, device: string, phase: string): void {
  expectSurvived(r, FRAMES);
  const mine = faultsOf(r, device);
  expect(mine.map((f) => [f.kind, f.cause, f.phase])).toEqual([['lost', 'kill', phase]]);
  const f = mine[0]!;
  expect(f.plan, JSON.stringify(f)).not.toBeNull();
  expect(f.plan!.devices).not.toContain(device);
}

describe('a board killed at each moment of a run', () => {
  it.each([
    ['connect', 'connect'],
    ['deploy', 'deploy'],
    ['first-result', 'run'],
    ['drain', 'drain'],
  ])(
    '@%s: re-plans on the boards left and loses no frame',
    async (moment, phase) => {
      const r = await chaosRun(fx.bundles, fx.home, FRAMES, [
        '--emulate',
        'pi3:4',
        '--chaos',
        `kill:pi3-2@${moment}`,
      ]);
      expectLostAt(r, 'pi3-2', phase);
      expect(r.stderr).toMatch(/SIGKILL to pid \d+/);
      if (moment === 'first-result' || moment === 'drain')
        expect(faultsOf(r, 'pi3-2')[0]!.resent).toBeGreaterThan(0);
    },
    180_000,
  );

  it("@replan: a board lost while a re-plan's plan deploys is taken out and the plan made again", async () => {
    const r = await chaosRun(fx.bundles, fx.home, FRAMES, [
      '--emulate',
      'pi3:4',
      '--chaos',
      'kill:pi3-2@first-result,kill:pi3-3@replan',
    ]);
    expectSurvived(r, FRAMES);
    const [first] = r.report.faults.filter((f) => f.device === 'pi3-2');
    const [during] = r.report.faults.filter((f) => f.device === 'pi3-3');
    expect(first).toMatchObject({ kind: 'lost', cause: 'kill', phase: 'run' });
    expect(during).toMatchObject({ kind: 'lost', cause: 'kill', phase: 'replan' });
    // Both recorded with the plan the run went on with: neither board in it.
    for (const f of [first!, during!]) {
      expect(f.plan!.devices).not.toContain('pi3-2');
      expect(f.plan!.devices).not.toContain('pi3-3');
    }
    expect(first!.why).toMatch(/pi3-3 lost while it deployed/);
  }, 180_000);
});

describe('a board of a farm file killed from outside, early in the run', () => {
  it.each([1.5, 3])(
    'killed %s s in: the run goes on without it',
    async (afterS) => {
      const home = join(fx.home, `outside-${afterS}`);
      const up = JSON.parse(
        (await fx.bundles.cli(home, 'farm', 'up', '--emulate', 'pi3:4', '--json')).stdout,
      ) as { farmFile: string; devices: { id: string; pid: number }[] };
      const victim = up.devices.find((d) => d.id === 'pi3-2')!;
      const timer = setTimeout(() => process.kill(victim.pid, 'SIGKILL'), afterS * 1000);
      try {
        const r = await chaosRun(fx.bundles, home, FRAMES, ['--farm', up.farmFile]);
        expectSurvived(r, FRAMES);
        const mine = faultsOf(r, 'pi3-2');
        expect(mine[0], JSON.stringify(r.report.faults)).toMatchObject({
          kind: 'lost',
          cause: null,
        });
        expect(mine[0]!.plan!.devices).not.toContain('pi3-2');
      } finally {
        clearTimeout(timer);
        await fx.bundles.cli(home, 'farm', 'down');
      }
    },
    180_000,
  );
});

describe('nothing left to hold the model', () => {
  it('ends the run in one line naming the missing boards and the smallest farm', async () => {
    const err = await fx.bundles
      .cli(
        fx.home,
        ...['run', '--model', 'alexnet-mc', '--emulate', 'pi3:2', '--plan', 'auto'],
        ...['--frames', '20', '--chaos', 'kill:pi3-1@connect,kill:pi3-2@connect'],
      )
      .then(
        () => null,
        (e: { stderr: string; code: number }) => e,
      );
    expect(err).not.toBeNull();
    expect(err!.code).toBe(1);
    const last = err!.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(
      /^mchair: nothing left can hold alexnet-mc: pi3-1, pi3-2 are missing and no board is left; the smallest farm that would do is \d boards? \(pi3:\d\), e\.g\. pi3-1.* \[FARM_TOO_SMALL\]$/,
    );
  }, 180_000);
});
