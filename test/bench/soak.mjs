// Soak figures (issue 9): `mchair bench soak` for 30 minutes (or `--minutes M`) on a 12-agent
// virtual farm running a no-op pipeline; prints frames, throughput and every process's resident
// size after warm-up and at the end. Fails (exit 1) when a process grew more than 10% after
// warm-up, a frame was lost or duplicated, or an agent carried nothing.
// Usage: node test/bench/soak.mjs [--minutes 30] [--devices 12] [--fps 0 (unpaced)]
import { parseArgs } from 'node:util';
import { cli, mb } from './cli.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    devices: { type: 'string', default: '12' },
    fps: { type: 'string', default: '0' },
  },
});
const cmd = [
  'bench',
  'soak',
  '--minutes',
  values.minutes,
  '--devices',
  values.devices,
  '--fps',
  values.fps,
];
console.log(`node bin/mchair.js ${cmd.join(' ')} --json   (started ${new Date().toISOString()})`);
const r = cli(...cmd);
const f = r.frames;
console.log(
  `${r.minutes} min, ${r.devices} agents in ${r.stages.length} stages of ${r.stages.map((s) => s.length).join('+')} replicas, ${r.targetFps ? `offered ${r.targetFps} frames/s` : 'unpaced'}: ` +
    `sent ${f.sent}, completed ${f.completed}, lost ${f.lost}, duplicated ${f.duplicated}; ${r.fps.toFixed(1)} frames/s after the ${r.warmupS} s warm-up`,
);
const pct = (p) => `${p.growthPct >= 0 ? '+' : ''}${p.growthPct.toFixed(1)}%`;
for (const p of r.rss.processes)
  console.log(
    `  ${p.id.padEnd(12)} RSS ${mb(p.warm).padStart(4)} -> ${mb(p.end).padStart(4)} MB  ${pct(p)}`,
  );
console.log('peak RSS in each tenth of the run, MB:');
for (const [id, t] of Object.entries(r.rss.traceMB))
  console.log(`  ${id.padEnd(12)} ${t.join(' ')}`);
console.log(
  `worst: ${r.rss.worst.id} ${pct(r.rss.worst)}  ${r.ok ? 'ok' : `FAILED: ${r.failures.join('; ')}`}`,
);
if (!r.ok) process.exitCode = 1;
