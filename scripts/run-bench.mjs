// `npm run bench [NAME...]`: runs the benchmark scripts in test/bench one after another (they
// measure time and memory, so never in parallel) and stops at the first that fails its target.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const all = readdirSync('test/bench')
  .filter((f) => f.endsWith('.mjs'))
  .sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.includes(w))) : all;
if (chosen.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(' ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
spawnSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
for (const file of chosen) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', `test/bench/${file}`], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
