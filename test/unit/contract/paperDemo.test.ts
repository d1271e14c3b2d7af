// demo/paper's answer is checked against the contract yet handed on untouched: a wrong field is
// refused, and a right one keeps the order of its keys (the CLI's --json document shows them).
import { describe, expect, it } from 'vitest';
import { PaperDemo } from '../../../src-main/contract/paperDemo';

// Its keys in another order than the schema's: a parse that rebuilt it would move `window`.
const run = {
  window: 2,
  model: 'alexnet-mc',
  boards: 1,
  plan: 'auto',
  frames: 20,
  runId: 'r1',
  state: 'done',
  ips: 1.5,
  predictedIps: 1.4,
  energy: { static: 1, dynamic: 0.5, total: 1.5 },
  emulationOverruns: 0,
  faults: 0,
  wallSeconds: 12,
  error: null,
  latencyMs: { p50: 1, p95: 2, p99: 3 },
};
const answer = {
  runs: [run],
  table: [],
  report: '/tmp/paper-demo-r1.html',
  recognition: null,
  farmStartSeconds: 1,
  wallSeconds: 20,
  failed: [],
};

describe('the demo/paper answer', () => {
  it('passes a right one on with its keys in their order', () => {
    const parsed = PaperDemo.parse(answer);
    expect(Object.keys(parsed.runs[0]!)).toEqual(Object.keys(run));
  });

  it('refuses a run whose figure is the wrong type', () => {
    const wrong = { ...answer, runs: [{ ...run, ips: 'fast' }] };
    expect(PaperDemo.safeParse(wrong).success).toBe(false);
  });
});
