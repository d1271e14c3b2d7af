// Builds the node programs tests start as real processes (the CLI and the agent bundle) so a
// test never runs a stale build: old bundles are removed first, and a target that does not build
// is reported here and stays absent, failing exactly the tests that need it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export default function setup(): void {
  for (const target of ['cli', 'agent']) {
    rmSync(`out/${target}`, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ['scripts/build-node.mjs', target], { encoding: 'utf8' });
    if (r.status !== 0)
      process.stderr.write(`global-setup: ${target} did not build:\n${r.stderr}\n`);
  }
}
