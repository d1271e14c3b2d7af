// Builds the node programs tests start as real processes (the CLI and the agent bundle) so a
// test never runs a stale build. build-node.mjs replaces each bundle atomically and removes it when
// its build fails, so a target that does not build stays absent and fails exactly the tests that
// need it. Before that, a machine without the system programs the tests start stops at once.
import { spawnSync } from 'node:child_process';
import { missingLine } from './prerequisites';

export default function setup(): void {
  const missing = missingLine(process.env.PATH ?? '');
  if (missing) {
    // One line, not a stack trace: what is missing and how to install it.
    process.stderr.write(`npm test: ${missing}\n`);
    process.exit(1);
  }
  // Not a stop: the network-namespace tests skip themselves without root, and say so.
  if (process.getuid?.() !== 0)
    process.stderr.write(
      'global-setup: not root, so the tests that make network namespaces are skipped\n',
    );
  for (const target of ['cli', 'agent']) {
    const r = spawnSync(process.execPath, ['scripts/build-node.mjs', target], { encoding: 'utf8' });
    if (r.status !== 0)
      process.stderr.write(`global-setup: ${target} did not build:\n${r.stderr}\n`);
  }
}
