// The running J per inference the Run view shows while a run goes: the paper's split over the
// measured window so far, the same numbers runEnergy gives once the run ends on the same samples,
// and the feed that hands each meter's samples to the view once.
import { describe, expect, it } from 'vitest';
import { LIVE_POWER_BATCH_MAX } from '../../../src-main/contract/livePower';
import {
  PowerFeed,
  powerStats,
  runEnergy,
  runningEnergy,
  window,
  type LiveMeter,
  type PowerSample,
  type PowerSummary,
} from '../../../src-main/power/index';

/** Samples every `stepMs` from `fromMs` to `toMs` (inclusive) of watts(t). */
function trace(fromMs: number, toMs: number, stepMs: number, watts: (t: number) => number) {
  const out: PowerSample[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push({ t, w: watts(t) });
  return out;
}

const FARM = { kind: 'farm' } as const;
const device = (d: string): LiveMeter['info']['scope'] => ({ kind: 'devices', devices: [d] });

function meter(
  label: string,
  scope: LiveMeter['info']['scope'],
  emulated: boolean,
  idleW: number | null,
  samples: PowerSample[],
): LiveMeter {
  return { info: { label, scope, emulated }, idleW, samples };
}

describe('runningEnergy', () => {
  it("splits a farm meter's window the paper's way: static = idle W / IPS, dynamic = the rest", () => {
    const wt300 = meter(
      'wt300',
      FARM,
      false,
      4,
      trace(0, 10_000, 100, () => 10),
    );
    const e = runningEnergy([wt300], null, { fromMs: 2000, toMs: 6000, frames: 8, ips: 2 });
    expect(e).not.toBeNull();
    expect(e!.seconds).toBe(4);
    expect(e!.avgW).toBeCloseTo(10, 9);
    expect(e!.idleW).toBe(4);
    expect(e!.perInferenceJ.static).toBeCloseTo(2, 9);
    expect(e!.perInferenceJ.dynamic).toBeCloseTo(3, 9);
    expect(e!.perInferenceJ.total).toBeCloseTo(5, 9);
    expect(e!.emulated).toBe(false);
  });

  it('averages only the samples inside the window, edges interpolated', () => {
    // A ramp of 1 W a second: from 2 s to 4 s it averages 3 W, not the whole trace's 5 W.
    const ramp = meter(
      'ramp',
      FARM,
      false,
      1,
      trace(0, 10_000, 300, (t) => t / 1000),
    );
    const e = runningEnergy([ramp], null, { fromMs: 2000, toMs: 4000, frames: 4, ips: 2 })!;
    expect(e.avgW).toBeCloseTo(3, 9);
    expect(e.perInferenceJ.dynamic).toBeCloseTo(1, 9);
  });

  it('takes the instrument on the farm over emulated boards, else sums the boards', () => {
    const boards = [
      meter(
        'pi-1',
        device('pi-1'),
        true,
        2,
        trace(0, 5000, 100, () => 3),
      ),
      meter(
        'pi-2',
        device('pi-2'),
        true,
        2,
        trace(0, 5000, 100, () => 5),
      ),
    ];
    const analyzer = meter(
      'wt300',
      FARM,
      false,
      6,
      trace(0, 5000, 250, () => 12),
    );
    const w = { fromMs: 1000, toMs: 3000, frames: 6, ips: 3 };
    expect(runningEnergy([...boards, analyzer], null, w)!.avgW).toBeCloseTo(12, 9);
    const summed = runningEnergy(boards, null, w)!;
    expect(summed.avgW).toBeCloseTo(8, 9);
    expect(summed.idleW).toBe(4);
    expect(summed.emulated).toBe(true);
    // The idle the user gave is the farm's, whatever the meters measured.
    expect(runningEnergy(boards, 3, w)!.perInferenceJ.static).toBeCloseTo(1, 9);
  });

  it('is null until the window opens and until the samples reach into it', () => {
    const m = meter(
      'wt300',
      FARM,
      false,
      4,
      trace(0, 1000, 500, () => 10),
    );
    expect(runningEnergy([m], null, null)).toBeNull();
    expect(runningEnergy([m], null, { fromMs: 1200, toMs: 1500, frames: 2, ips: 4 })).toBeNull();
    expect(runningEnergy([], null, { fromMs: 0, toMs: 900, frames: 2, ips: 4 })).toBeNull();
  });

  it("gives runEnergy's numbers once the run ends", () => {
    const watts = (t: number) => 5 + 3 * Math.sin(t / 700);
    const samples = trace(0, 20_000, 200, watts);
    const m = meter('wt300', FARM, false, 4.5, samples);
    const w = { fromMs: 3100, toMs: 17_900, frames: 37, ips: 2.5 };
    const summary: PowerSummary = {
      runStartMs: 0,
      runEndMs: 20_000,
      window: { fromMs: w.fromMs, toMs: w.toMs },
      idleSeconds: 5,
      idleGivenW: null,
      meters: [
        {
          info: {
            uri: 'scpi+wt300://127.0.0.1:1',
            kind: 'scpi',
            label: 'wt300',
            scope: FARM,
            emulated: false,
          },
          intervalMs: 200,
          idleW: 4.5,
          run: powerStats(samples),
          window: powerStats(window(samples, w.fromMs, w.toMs)),
          gaps: [],
          garbage: 0,
          error: null,
        },
      ],
    };
    const final = runEnergy(summary, w, 50).perInferenceJ!;
    const live = runningEnergy([m], null, w)!.perInferenceJ;
    expect(live.static).toBeCloseTo(final.static, 12);
    expect(live.dynamic).toBeCloseTo(final.dynamic, 12);
    expect(live.total).toBeCloseTo(final.total, 12);
  });
});

describe('PowerFeed', () => {
  it("hands each meter's samples once, from the run's start, timed from the first frame", () => {
    const samples: PowerSample[] = [
      { t: 100, w: 3 },
      { t: 400, w: 3.2 },
    ];
    const feed = new PowerFeed(
      [{ ...meter('plug', FARM, false, 3.1, samples), intervalMs: 300 }],
      300,
    );
    // The idle sample before the run's start (300 ms) stays out.
    expect(feed.next(1000)).toEqual([
      { meter: 'plug', emulated: false, idleW: 3.1, intervalMs: 300, samples: [[-0.6, 3.2]] },
    ]);
    expect(feed.next(1000)[0]!.samples).toEqual([]);
    samples.push({ t: 1700, w: 7 }, { t: 2000, w: 7.5 });
    expect(feed.next(1000)[0]!.samples).toEqual([
      [0.7, 7],
      [1, 7.5],
    ]);
  });

  it('sends a log read faster than the batches in several, never more than the contract takes', () => {
    const samples = trace(0, 2 * LIVE_POWER_BATCH_MAX + 99, 1, () => 5);
    const feed = new PowerFeed([{ ...meter('log', FARM, false, 4, samples), intervalMs: 1 }], 0);
    const sizes = [1, 2, 3, 4].map(() => feed.next(0)[0]!.samples.length);
    expect(sizes).toEqual([LIVE_POWER_BATCH_MAX, LIVE_POWER_BATCH_MAX, 100, 0]);
  });
});
