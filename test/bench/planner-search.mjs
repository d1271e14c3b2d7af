#!/usr/bin/env node
// Benchmark: the planner's search time and optimality gap per farm size (issue 19, must 1).
// Bundles test/bench/planner-search.ts and runs it (see that file for what it prints), then times
// what a user runs: `mchair plan` in a fresh process on the largest farm the exact search takes
// (12 boards of six kinds), the whole process's CPU (every thread: V8's compilers and GC too),
// from Node's start to its exit. Exits 1 when a target is missed.
// Usage: node test/bench/planner-search.mjs [MODEL] [FARMS_PER_SIZE]   (vgg16, 4)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleBench, root } from './bench-models.mjs';

const FARM = 'pi3:2,pi4:2,pi5:2,tx2-cpu:2,tx2-gpu:2,x86-laptop:2';
const RUNS = 7;
const TARGET_MS = 1000;

const out = await bundleBench('planner-search');
let missed = false;
try {
  execFileSync(process.execPath, [out, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
} catch {
  missed = true;
}

const dir = mkdtempSync(join(tmpdir(), 'mchair-plan-cpu-'));
try {
  // Loaded before the CLI: writes the process's CPU as it exits.
  const hook = join(dir, 'cpu.mjs');
  writeFileSync(
    hook,
    "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write(`cpu-ms ${(u.user + u.system) / 1000}\\n`); });\n",
  );
  const model = process.argv[2] ?? 'vgg16';
  const cpu = [];
  for (let i = 0; i < RUNS; i++) {
    const args = ['--data-dir', mkdtempSync(join(dir, 'data-')), 'plan', '--model', model];
    const r = spawnSync(
      process.execPath,
      ['--import', hook, 'bin/mchair.js', ...args, '--devices', FARM, '--json'],
      { cwd: root, encoding: 'utf8' },
    );
    const ms = /cpu-ms ([\d.]+)/.exec(r.stderr ?? '');
    if (r.status !== 0 || !ms) throw new Error(`mchair plan failed: ${r.stderr}`);
    if (!JSON.parse(r.stdout).search?.method?.startsWith('exact'))
      throw new Error('mchair plan did not plan exactly');
    cpu.push(Number(ms[1]));
  }
  cpu.sort((a, b) => a - b);
  const median = cpu[Math.floor(RUNS / 2)];
  console.log(
    `\nfresh process: mchair plan --model ${model} --devices ${FARM}: CPU median ${median.toFixed(0)} ms, ` +
      `${cpu[0].toFixed(0)}..${cpu[RUNS - 1].toFixed(0)} over ${RUNS} (target ${TARGET_MS} ms)`,
  );
  if (median > TARGET_MS) {
    console.log(`MISSED: a fresh plan took ${median.toFixed(0)} ms of CPU`);
    missed = true;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (missed) process.exit(1);
