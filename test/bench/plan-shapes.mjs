#!/usr/bin/env node
// Benchmark: planning from shapes (issue 15.5). `mchair plan --model vgg16 --devices
// pi3:60,pi4:30,tx2-cpu:10 --json` as a user runs it, a fresh process each time (node start-up
// included), for the zoo's VGG16 and for a VGG16 file on disk planned by its path (written first
// with `mchair model build vgg16`). Prints each run's wall time, CPU time, peak RSS and bytes read,
// and exits 1 when a model's median wall time is over 1.5 s or any run's peak RSS over 200 MB.
// The machine is shared: the load average is printed beside the figures, and the median judges
// time so one neighbour's burst does not; memory does not depend on the neighbours, so every run
// counts.
// Usage: node test/bench/plan-shapes.mjs [--runs N] [--keep]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const BUDGET_SECONDS = 1.5;
const BUDGET_RSS_BYTES = 200e6;
const DEVICES = 'pi3:60,pi4:30,tx2-cpu:10';
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 5;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('plan-shapes: --runs takes a whole number of 1 or more');
  process.exit(2);
}
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-plan-shapes-'));

// Written by the measured process as it exits: peak RSS (Linux reports kilobytes), CPU time, and
// the bytes it read (rchar: files, node's own modules included).
const hook = join(work, 'usage.mjs');
writeFileSync(
  hook,
  [
    "import { readFileSync, writeFileSync } from 'node:fs';",
    "process.on('exit', () => {",
    '  const u = process.resourceUsage();',
    "  const io = readFileSync('/proc/self/io', 'utf8');",
    '  writeFileSync(process.env.MCHAIR_BENCH_USAGE, JSON.stringify({',
    '    peakRss: u.maxRSS * 1024,',
    '    cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6,',
    '    bytesRead: Number(/^rchar: (\\d+)$/m.exec(io)[1]),',
    '  }));',
    '});',
    '',
  ].join('\n'),
);

function mchair(...cliArgs) {
  const usageFile = join(work, 'usage.json');
  const started = process.hrtime.bigint();
  const out = execFileSync(
    process.execPath,
    ['--import', hook, join(root, 'bin/mchair.js'), ...cliArgs],
    {
      cwd: work,
      env: { ...process.env, MCHAIR_BENCH_USAGE: usageFile },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, ...JSON.parse(readFileSync(usageFile, 'utf8')), out: out.toString() };
}

const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The plan without the search's own timing, which differs from run to run. */
function planOf(json) {
  const { search: _search, ...plan } = JSON.parse(json);
  if (!Array.isArray(plan.stages) || plan.stages.length === 0)
    throw new Error(`plan-shapes: no stages in the plan: ${json.slice(0, 200)}`);
  return JSON.stringify(plan);
}

try {
  execFileSync(process.execPath, [join(root, 'scripts/build-node.mjs'), 'cli'], {
    stdio: 'inherit',
  });
  const file = join(work, 'vgg16.onnx');
  const built = mchair('model', 'build', 'vgg16', '--out', file);
  const fileBytes = statSync(file).size;
  console.log(
    `VGG16 file: ${mb(fileBytes)} written by \`mchair model build vgg16\` in ${built.seconds.toFixed(1)} s (peak RSS ${mb(built.peakRss)})`,
  );
  console.log(`mchair plan --model MODEL --devices ${DEVICES} --json, ${RUNS} runs each:`);
  const over = [];
  const plans = new Map();
  for (const [label, model] of [
    ['vgg16 (zoo)', 'vgg16'],
    ['vgg16.onnx (by path)', file],
  ]) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const before = load();
      const r = mchair('plan', '--model', model, '--devices', DEVICES, '--json');
      runs.push(r);
      plans.set(label, planOf(r.out));
      console.log(
        `  ${label.padEnd(21)} run ${i + 1}: wall ${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(2)} s, peak RSS ${mb(r.peakRss)}, read ${mb(r.bytesRead)} (load average ${before})`,
      );
    }
    const wall = median(runs.map((r) => r.seconds));
    const rss = Math.max(...runs.map((r) => r.peakRss));
    console.log(
      `  ${label.padEnd(21)} median wall ${wall.toFixed(2)} s (budget ${BUDGET_SECONDS} s), max peak RSS ${mb(rss)} (budget ${mb(BUDGET_RSS_BYTES)})`,
    );
    if (wall > BUDGET_SECONDS) over.push(`${label}: median wall ${wall.toFixed(2)} s`);
    if (rss > BUDGET_RSS_BYTES) over.push(`${label}: peak RSS ${mb(rss)}`);
  }
  // The file is the zoo's model written out: planning it must give the very same plan.
  const [zoo, byPath] = [...plans.values()];
  if (zoo !== byPath) over.push('the file planned by path gives another plan than the zoo model');
  if (over.length) {
    console.error(`plan-shapes: over budget: ${over.join('; ')}`);
    process.exitCode = 1;
  } else console.log('plan-shapes: within budget (1.5 s, 200 MB); the two plans are identical');
} finally {
  if (argv.includes('--keep')) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
