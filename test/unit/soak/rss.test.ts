// The soak's verdict (scenarios/rss.ts, cli/commands/bench-soak.ts) on series with a known shape:
// a leak is caught, a garbage-collection saw-tooth or spike is not taken for one, a silent process
// fails.
import { describe, expect, it } from 'vitest';
import { soakFailures } from '../../../src-main/cli/commands/bench-soak';
import { RssWatch } from '../../../src-main/scenarios/rss';
import type { SoakFigures } from '../../../src-main/scenarios/soak';

const MB = 2 ** 20;
const WARM = 30_000;
const END = 120_000;

/** Samples every 2 s over 120 s: bytes(t) for each process. */
function watch(series: Record<string, (atMs: number) => number>): RssWatch {
  const w = new RssWatch();
  for (let at = 2000; at <= END; at += 2000)
    for (const [id, f] of Object.entries(series)) w.record(id, at, f(at));
  return w;
}

function figures(w: RssWatch, frames = { sent: 100, completed: 100, lost: 0, duplicated: 0 }) {
  const processes = w.growth(WARM, END);
  const worst = processes.reduce((a, b) => (b.growthPct > a.growthPct ? b : a));
  return { frames, idle: [], rss: { processes, worst } } as unknown as SoakFigures;
}

describe('RSS growth after warm-up', () => {
  it('catches a process that keeps growing and names it', () => {
    // 100 MB at warm-up, +0.2 MB a second after it: +17% by the end.
    const w = watch({ coordinator: () => 100 * MB, d00: (t) => 100 * MB + (t - WARM) * 200 });
    const [c, d] = w.growth(WARM, END);
    expect(c?.growthPct).toBe(0);
    expect(d?.growthPct).toBeGreaterThan(15);
    expect(soakFailures(figures(w))).toEqual([
      expect.stringMatching(/^d00 grew 1\d\.\d% after warm-up/),
    ]);
  });

  it('does not take a garbage-collection saw-tooth or a spike for growth', () => {
    // 100 MB rising to 120 MB over 10 s, then back (a full collection gives pages back), and a
    // process flat at 108 MB but for one 130 MB sample near the end (seen in the 30-minute soak).
    const w = watch({
      d01: (t) => 100 * MB + ((t % 10_000) / 10_000) * 20 * MB,
      d05: (t) => (t === 118_000 ? 130 : 108) * MB,
    });
    for (const g of w.growth(WARM, END)) expect(Math.abs(g.growthPct), g.id).toBeLessThan(2);
    expect(soakFailures(figures(w))).toEqual([]);
  });

  it('fails a process with under two samples after warm-up (an agent that stopped reporting)', () => {
    const w = new RssWatch();
    w.record('d02', 32_000, 100 * MB);
    expect(w.growth(WARM, END)[0]?.growthPct).toBeNaN();
    expect(soakFailures(figures(w))).toEqual([expect.stringMatching(/^d02 grew NaN%/)]);
  });

  it('fails on lost or duplicated frames even when memory is flat', () => {
    const w = watch({ coordinator: () => 100 * MB });
    expect(soakFailures(figures(w, { sent: 100, completed: 99, lost: 1, duplicated: 0 }))).toEqual([
      '1 frames lost, 0 duplicated',
    ]);
  });

  it('traces each process as its peak in each slice of the run', () => {
    const w = watch({ d03: (t) => (t === 50_000 ? 150 : 100) * MB });
    expect(
      w
        .trace(END, 4)
        .get('d03')
        ?.map((b) => b / MB),
    ).toEqual([100, 150, 100, 100]);
  });
});
