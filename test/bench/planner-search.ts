// The planner's search per farm size, on seeded random farms of the built-in boards (bundled and
// run by test/bench/planner-search.mjs). 2..12 boards in up to six kinds: the exact search's CPU
// time. 13..100 boards: the plan a user gets (the heuristic: devices grouped, then single-board
// moves; farms of few kinds also get the exact programme within a budget), its CPU time, and its
// gap and the heuristic alone's to the exact optimum where the exact programme can run (farms of
// few kinds: its states stay within 729), else to the search's upper bound on the IPS.
// Prints one line per size and exits 1 when a target is missed (1 s of CPU; heuristic within 5%).
// Usage: node out/bench/planner-search.mjs [MODEL] [FARMS_PER_SIZE]
import { seededUniform } from '../../src-main/model/seeded';
import { CostModel } from '../../src-main/planner/cost';
import { farmFromFile, type Farm } from '../../src-main/planner/farm';
import { analyseChain } from '../../src-main/planner/layers';
import { loadPlannerModel } from '../../src-main/planner/source';
import { search, upperBoundIps, type SearchOptions } from '../../src-main/planner/search';
import { exactKinds } from '../../src-main/planner/search-kinds';

const KINDS = ['pi3', 'pi4', 'pi5', 'tx2-cpu', 'tx2-gpu', 'x86-laptop'];
const modelName = process.argv[2] ?? 'vgg16';
const perSize = Number(process.argv[3] ?? 4);
const cost = new CostModel(analyseChain(loadPlannerModel(modelName)));

/** Seeded values in [0, 1): the same farms on every run. */
function random(seed: number): () => number {
  const values = seededUniform(4096, 0.5, seed, 'farms');
  let i = 0;
  return () => values[i++ % values.length]! + 0.5;
}

/** `n` boards of `kinds` kinds picked at random, each kind at least once. */
function randomFarm(rnd: () => number, n: number, kinds: number): { spec: string; farm: Farm } {
  const names = [...KINDS].sort(() => rnd() - 0.5).slice(0, Math.min(kinds, n));
  const counts = names.map(() => 1);
  for (let i = names.length; i < n; i++) counts[Math.floor(rnd() * names.length)]!++;
  const spec = names.map((k, i) => `${k}:${counts[i]}`).join(',');
  const devices = names.flatMap((k, i) =>
    Array.from({ length: counts[i]! }, (_, j) => ({ id: `${k}-${j + 1}`, profile: k })),
  );
  // Everyone on the Pis' Wi-Fi would make most farms medium-bound: the laptop on Ethernet.
  return { spec, farm: farmFromFile({ devices, coordinator: { medium: 'ethernet-1000' } }, spec) };
}

function timed(farm: Farm, opts: SearchOptions): { ips: number; exact: boolean; cpuMs: number } {
  const t = process.cpuUsage();
  const r = search(cost, farm, opts);
  const u = process.cpuUsage(t);
  return {
    // No plan (the model fits none of the farm's memory): 0.
    ips: r.candidates[0]?.evaluation.ips ?? 0,
    exact: r.exact,
    cpuMs: (u.user + u.system) / 1000,
  };
}

const failures: string[] = [];
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(`${modelName}, ${perSize} seeded farms per size (IPS objective)`);
console.log(
  'boards  method      CPU ms max  CPU ms median  gap (max)                                                 slowest farm',
);
let worstAlone = 0;
let aloneMs = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 20, 30, 50, 75, 100]) {
  const rnd = random(n * 7919);
  const cpu: number[] = [];
  // Largest gap under the exact optimum, and under the upper bound where exact cannot run.
  let gap = 0;
  let gapBound = 0;
  /** The grouped heuristic alone, under the exact optimum. */
  let gapAlone = 0;
  let worst = '';
  for (let f = 0; f < perSize; f++) {
    // Small farms: up to six kinds. Large ones: half in few kinds (the exact programme can
    // judge them), half in all six.
    const kinds = n <= 12 ? 1 + Math.floor(rnd() * 6) : f % 2 === 0 ? 1 + Math.floor(rnd() * 2) : 6;
    const { spec, farm } = randomFarm(rnd, n, kinds);
    const opts = { objective: 'ips' } as const;
    if (n <= 12) {
      const exact = timed(farm, opts);
      if (!exact.exact) failures.push(`${spec}: not planned exactly`);
      if (exact.cpuMs >= Math.max(0, ...cpu)) worst = spec;
      cpu.push(exact.cpuMs);
      if (exact.cpuMs > 1000)
        failures.push(`${spec}: exact search ${exact.cpuMs.toFixed(0)} ms CPU`);
    } else {
      const heur = timed(farm, opts);
      const alone = timed(farm, { ...opts, heuristicOnly: true });
      aloneMs = Math.max(aloneMs, alone.cpuMs);
      if (alone.cpuMs > 1000)
        failures.push(`${spec}: the heuristic alone ${alone.cpuMs.toFixed(0)} ms CPU`);
      if (heur.cpuMs >= Math.max(0, ...cpu)) worst = spec;
      cpu.push(heur.cpuMs);
      if (heur.cpuMs > 1000)
        failures.push(`${spec}: heuristic search ${heur.cpuMs.toFixed(0)} ms CPU`);
      const judge = exactKinds(farm, 100)
        ? timed(farm, { ...opts, maxUnits: 100 }).ips
        : upperBoundIps(cost, farm);
      const g = 1 - heur.ips / judge;
      if (exactKinds(farm, 100)) {
        gap = Math.max(gap, g);
        // The grouped heuristic on its own, as on the farms the exact programme cannot take.
        const ga = 1 - alone.ips / judge;
        gapAlone = Math.max(gapAlone, ga);
        worstAlone = Math.max(worstAlone, ga);
        if (ga > 0.05)
          failures.push(`${spec}: the heuristic alone ${pct(ga)} under the exact optimum`);
      } else gapBound = Math.max(gapBound, g);
      if (exactKinds(farm, 100) && g > 0.05)
        failures.push(`${spec}: heuristic ${pct(g)} under the exact optimum`);
    }
  }
  const cpuMax = Math.max(...cpu).toFixed(0);
  const judged =
    n <= 12
      ? 'exact'
      : `${pct(gap)} vs exact (heuristic alone ${pct(gapAlone)}), ${pct(gapBound)} vs bound`;
  console.log(
    `${String(n).padStart(6)}  ${(n <= 12 ? 'exact' : 'heuristic').padEnd(10)} ${cpuMax.padStart(11)}  ${median(cpu).toFixed(0).padStart(13)}  ${judged.padEnd(57)} ${worst}`,
  );
}
console.log(
  `\nthe grouped heuristic alone: worst ${pct(worstAlone)} under the exact optimum, at most ${aloneMs.toFixed(0)} ms CPU`,
);
if (failures.length) {
  console.log(`\nMISSED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nall search targets met');
