#!/usr/bin/env node
// Benchmark: the planner's search time and optimality gap per farm size (issue 19, must 1).
// Bundles test/bench/planner-search.ts and runs it; see that file for what it prints.
// Usage: node test/bench/planner-search.mjs [MODEL] [FARMS_PER_SIZE]   (vgg16, 4)
import { execFileSync } from 'node:child_process';
import { bundleBench, root } from './bench-models.mjs';

const out = await bundleBench('planner-search');
try {
  execFileSync(process.execPath, [out, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}
