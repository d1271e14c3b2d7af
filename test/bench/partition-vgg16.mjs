#!/usr/bin/env node
// Benchmark: partition VGG16 (528 MB of float32 weights) into 3 stages with fc_1 split in two, as
// a user runs it (`mchair partition` in its own process), and report wall time and peak RSS
// against the budget (15 s, 2.5x the model file). With --verify, also run one frame through the
// whole model and the parts with onnxruntime and report the difference.
// Usage: node test/bench/partition-vgg16.mjs [--verify] [--keep]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUDGET_SECONDS = 15;
const BUDGET_RSS_RATIO = 2.5;
const args = new Set(process.argv.slice(2));
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-vgg16-'));

// Peak RSS of the measured process, written when it exits (Linux reports kilobytes).
const hook = join(work, 'peak-rss.mjs');
writeFileSync(
  hook,
  "import { writeFileSync } from 'node:fs';\n" +
    "process.on('exit', () => writeFileSync(process.env.MCHAIR_BENCH_RSS, String(process.resourceUsage().maxRSS * 1024)));\n",
);

function mchair(label, ...cliArgs) {
  const rssFile = join(work, `${label}.rss`);
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, ['--import', hook, join(root, 'bin/mchair.js'), ...cliArgs], {
    cwd: root,
    env: { ...process.env, MCHAIR_BENCH_RSS: rssFile },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, peakRss: Number(readFileSync(rssFile, 'utf8')) };
}

const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

try {
  execFileSync(process.execPath, [join(root, 'scripts/build-node.mjs'), 'cli'], {
    stdio: 'inherit',
  });
  const model = join(work, 'vgg16.onnx');
  const build = mchair('build', 'model', 'build', 'vgg16', '--out', model, '--seed', '1');
  const fileBytes = statSync(model).size;
  const partition = mchair(
    'partition',
    'partition',
    '--model',
    model,
    '--cut',
    'flat,fc1',
    '--split',
    '1:2',
    '--out',
    join(work, 'parts'),
  );
  const manifest = JSON.parse(readFileSync(join(work, 'parts', 'manifest.json'), 'utf8'));
  const parts = manifest.stages.flatMap((s) =>
    s.parts.map((p) => `${p.file} ${mib(statSync(join(work, 'parts', p.file)).size)}`),
  );
  const ratio = partition.peakRss / fileBytes;

  const lines = [
    `VGG16 model file: ${mib(fileBytes)} (${fileBytes.toLocaleString('en-US')} bytes); built in ${build.seconds.toFixed(1)} s, peak RSS ${mib(build.peakRss)}`,
    `mchair partition --cut flat,fc1 --split 1:2 (3 stages, fc_1 in two halves): ${partition.seconds.toFixed(2)} s (budget ${BUDGET_SECONDS} s), peak RSS ${mib(partition.peakRss)} = ${ratio.toFixed(2)}x the file (budget ${BUDGET_RSS_RATIO}x)`,
    `parts: ${parts.join(', ')}`,
  ];
  if (args.has('--verify')) {
    const started = process.hrtime.bigint();
    const out = execFileSync(
      process.execPath,
      [
        join(root, 'bin/mchair.js'),
        'verify',
        '--model',
        model,
        '--cut',
        'flat,fc1',
        '--split',
        '1:2',
        '--frames',
        '1',
        '--json',
      ],
      { cwd: root, maxBuffer: 1 << 26 },
    );
    const r = JSON.parse(out.toString());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    lines.push(
      `mchair verify (1 frame, onnxruntime): max |diff| ${r.maxAbsDiff}, relative ${r.maxRelDiff} (${r.ok ? 'OK' : 'MISMATCH'}) in ${seconds.toFixed(1)} s`,
    );
  }
  console.log(lines.join('\n'));
  const over = [];
  if (partition.seconds > BUDGET_SECONDS)
    over.push(`time ${partition.seconds.toFixed(2)} s > ${BUDGET_SECONDS} s`);
  if (ratio > BUDGET_RSS_RATIO) over.push(`peak RSS ${ratio.toFixed(2)}x > ${BUDGET_RSS_RATIO}x`);
  if (over.length) {
    console.error(`partition-vgg16: over budget: ${over.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  if (args.has('--keep')) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
