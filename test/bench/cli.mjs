// What the benchmark scripts share: running the built CLI for one JSON document, and printing
// sizes. A command that exits 1 after printing its document (a failed `bench soak`) still
// returns it, with `exitCode` set, so the script can print the figures and then fail.
import { spawnSync } from 'node:child_process';

export function cli(...args) {
  const r = spawnSync(process.execPath, ['bin/mchair.js', ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    // Progress and logs go straight to this script's stderr, so a long run shows where it is.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.error) throw r.error;
  if (r.status !== 0 && !r.stdout.trim())
    throw new Error(`mchair ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  const doc = JSON.parse(r.stdout);
  if (r.status !== 0) doc.exitCode = r.status;
  return doc;
}

/** Bytes as whole MB (2^20). */
export const mb = (b) => (b / 2 ** 20).toFixed(0);
