// The CI soak (issue 9): `mchair bench soak --minutes 2` on a 12-agent virtual farm, real agent
// processes, TLS and routing. No process may grow more than 10% after warm-up, no frame may be
// lost or duplicated, and every agent must carry frames. The 30-minute figures are in README.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SoakFigures } from '../../../src-main/scenarios/soak';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dataDir: string;
let bundles: Bundles;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-soak-'));
  bundles = await snapshotBundles();
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await bundles.remove();
});

type SoakResult = SoakFigures & { ok: boolean; failures: string[] };

/** The soak's JSON document, also when it failed (exit 1 after printing its figures). */
async function soak(...args: string[]): Promise<SoakResult> {
  try {
    const { stdout } = await bundles.cli(dataDir, 'bench', 'soak', ...args, '--json');
    return JSON.parse(stdout) as SoakResult;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    if (e.stdout?.trim()) return JSON.parse(e.stdout) as SoakResult;
    throw new Error(`mchair bench soak failed: ${e.stderr ?? String(err)}`);
  }
}

describe('soak', () => {
  it('runs 2 minutes on 12 agents with RSS growth <= 10% after warm-up and no lost frame', async () => {
    // At a steady 100 frames/s, not unpaced: unpaced, each agent's RSS saw-tooths by ~20% with
    // a ~60 s period (V8 growing old space up to a full collection), which 90 s after warm-up
    // cannot tell from a leak; at 100 frames/s the agents are flat by 30 s, and so is the
    // coordinator since it keeps bounded run figures (README, "Soak").
    const r = await soak('--minutes', '2', '--devices', '12', '--fps', '100');
    const summary = `${JSON.stringify(r.frames)}; ${r.rss.processes
      .map((p) => `${p.id} ${p.growthPct.toFixed(1)}%`)
      .join(', ')}`;
    expect(r.failures, summary).toEqual([]);
    expect(r.ok).toBe(true);
    // Every agent is in the plan and took frames; every process was sampled.
    expect(r.stages.flat().sort()).toHaveLength(12);
    expect(r.idle).toEqual([]);
    expect(r.rss.processes.map((p) => p.id).sort()).toEqual(
      ['coordinator', ...r.stages.flat()].sort(),
    );
    for (const p of r.rss.processes) {
      expect(p.warm, p.id).toBeGreaterThan(0);
      expect(p.growthPct, p.id).toBeLessThanOrEqual(10);
    }
    expect(r.frames.lost).toBe(0);
    expect(r.frames.duplicated).toBe(0);
    expect(r.frames.completed).toBe(r.frames.sent);
    // A pipeline that stalled would pass the checks above on a handful of frames.
    expect(r.fps).toBeGreaterThan(r.targetFps / 2);
  }, 240_000);
});
