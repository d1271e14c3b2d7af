// Builds the node programs tests start as real processes (the CLI and the agent bundle) so a
// test never runs a stale build. build-node.mjs replaces each bundle atomically and removes it when
// its build fails, so a target that does not build stays absent and fails exactly the tests that
// need it.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  for (const target of ['cli', 'agent']) {
    const r = spawnSync(process.execPath, ['scripts/build-node.mjs', target], { encoding: 'utf8' });
    if (r.status !== 0)
      process.stderr.write(`global-setup: ${target} did not build:\n${r.stderr}\n`);
  }
}
