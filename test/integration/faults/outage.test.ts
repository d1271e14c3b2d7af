// This machine's own link down (issue 20, must 2): every board of an emulated pi3:3 farm runs in a
// network namespace of its own on one bridge, and `--chaos outage@S:SECONDS` takes the carrier of
// this machine's link to that bridge away (the boards still reach each other; the coordinator
// hears none of them). Every board silent at once is taken for the link, not for the loss of
// every board: the run pauses with its frames kept and goes on when the link is back, losing
// nothing and re-planning nothing. Past `--outage-limit`, it ends in one line with what it had
// recorded. Needs root (network namespaces).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chaosFixture, chaosRun, expectSurvived } from './chaos-run';

const root = process.getuid?.() === 0;
const fx = chaosFixture();

describe.skipIf(!root)("an outage of this machine's link (network namespaces; needs root)", () => {
  it('pauses the run with its frames kept and resumes when the link is back, losing nothing', async () => {
    const r = await chaosRun(fx.bundles, fx.home, 60, [
      '--emulate',
      'pi3:3',
      '--chaos',
      'outage@3:3',
    ]);
    expectSurvived(r, 60);
    expect(r.stderr).toMatch(
      /link mcf[0-9a-f]+ \(this machine's link to every board\) without carrier for 3 s/,
    );
    // One outage, no board lost or re-planned.
    expect(r.report.faults.map((f) => f.kind)).toEqual(['outage']);
    const f = r.report.faults[0]!;
    expect(f).toMatchObject({ device: 'link', cause: 'outage', plan: null });
    // Back after the 3 s cut (detection takes ~1.2 s of silence); bound far from it.
    expect(f.recoveryS).not.toBeNull();
    expect(f.recoveryS!).toBeGreaterThan(0.5);
    expect(f.recoveryS!).toBeLessThan(30);
  }, 180_000);

  it('ends cleanly past --outage-limit, with what it had recorded', async () => {
    const err = await fx.bundles
      .cli(
        fx.home,
        ...['run', '--model', 'alexnet-mc', '--emulate', 'pi3:3', '--plan', 'auto'],
        ...['--frames', '200', '--chaos', 'outage@3:120', '--outage-limit', '4'],
      )
      .then(
        () => null,
        (e: { stderr: string; code: number }) => e,
      );
    expect(err).not.toBeNull();
    const last = err!.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(
      /^mchair: no board answered for 4 s \(--outage-limit\): this machine's link looks down; the run ended with the \d+ results it had recorded \[LINK_DOWN\]$/,
    );
    const runId = /run (\d{8}-\d{6}-[0-9a-f]+):/.exec(err!.stderr)![1]!;
    const dir = join(fx.home, 'runs', runId);
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as {
      state: string;
      message: string;
      faults: { kind: string }[];
    };
    expect(run.state).toBe('failed');
    expect(run.message).toMatch(/LINK_DOWN|no board answered for 4 s/);
    expect(run.faults.map((f) => f.kind)).toEqual(['outage']);
    // The results it had are kept.
    const results = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(results.length).toBeGreaterThan(0);
  }, 180_000);
});
