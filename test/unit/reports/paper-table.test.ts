// The demo's paper table with repeated cases (`mchair demo --repeat N`): one row per case, its
// IPS and energy the runs' means with their spread (mean ± sample sd, min-max), a runs column.
import { describe, expect, it } from 'vitest';
import {
  paperTableRows,
  paperTableText,
  type PaperTableRun,
} from '../../../src-main/reports/paper-table';

const run = (plan: string, ips: number | null, runId: string): PaperTableRun => ({
  model: 'alexnet-mc',
  boards: 6,
  plan,
  frames: 30,
  runId,
  state: ips === null ? 'failed' : 'done',
  ips,
  predictedIps: 4,
  // 6 W idle, 10 W on average over the window.
  energy: ips === null ? null : { static: 6 / ips, dynamic: 4 / ips, total: 10 / ips },
  emulationOverruns: 1,
  faults: 0,
});

describe('the paper table with repeated cases', () => {
  const rows = paperTableRows([
    run('paper-5', 4, 'a'),
    run('paper-5', 5, 'b'),
    run('paper-5', 6, 'c'),
    run('auto', 6, 'd'),
  ]);

  it("gives a repeated case one row: its runs' means and spread, overruns summed", () => {
    const [p5, auto] = rows;
    expect(p5).toMatchObject({ plan: 'paper-5', runs: 3, run: { ips: 5, emulationOverruns: 3 } });
    expect(p5!.spread!.ips).toEqual({ n: 3, mean: 5, sd: 1, min: 4, max: 6 });
    const totals = [10 / 4, 10 / 5, 10 / 6];
    const mean = (totals[0]! + totals[1]! + totals[2]!) / 3;
    expect(p5!.energy!.total).toBeCloseTo(mean, 12);
    expect(p5!.spread!.totalJ).toMatchObject({ n: 3, min: 10 / 6, max: 10 / 4 });
    expect(p5!.spread!.totalJ!.mean).toBeCloseTo(mean, 12);
    // The planner's plan is compared with the paper's plan's mean.
    expect(auto).toMatchObject({ runs: 1, spread: null, vsPaperPlan: 6 / 5 });
    // The paper's published row for the case's plan sits beside it.
    expect(p5!.paper).toMatchObject({ system: '5 Pis', ips: 4.3 });
  });

  it('prints mean ± sd (min-max) for IPS and each energy figure, with the runs', () => {
    const text = paperTableText(rows);
    const [head, p5, auto] = text.split('\n');
    expect(head).toMatch(/frames\s+runs\s+IPS/);
    expect(p5).toMatch(/^alexnet-mc\s+6 Pi 3\s+paper-5\s+30\s+3\s+5\.00 ± 1\.00 \(4\.00-6\.00\)/);
    // static 6/IPS, dynamic 4/IPS, total 10/IPS over IPS 4, 5 and 6.
    expect(p5).toContain('1.233 ± 0.252 (1.000-1.500)');
    expect(p5).toContain('0.822 ± 0.168 (0.667-1.000)');
    expect(p5).toContain('2.056 ± 0.419 (1.667-2.500)');
    expect(auto).toMatch(/auto\s+30\s+1\s+6\.00\s/);
    expect(text).toContain('mean ± sample standard deviation (min-max)');
  });

  it('counts a case as done only when every run was, and says which state it is in', () => {
    const partial = paperTableRows([run('paper-5', 4, 'a'), run('paper-5', null, 'b')]);
    expect(partial[0]).toMatchObject({ runs: 2, run: { state: 'failed', ips: 4 } });
    // One run had an IPS: no spread to show, its number marked failed.
    expect(paperTableText(partial)).toMatch(/paper-5\s+30\s+2\s+4\.00 failed/);
  });

  it('has no runs column when every case ran once', () => {
    const once = paperTableText(paperTableRows([run('paper-5', 4, 'a')]));
    expect(once.split('\n')[0]).not.toMatch(/\bruns\b/);
  });
});
