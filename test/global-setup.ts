// Builds the node programs tests start as real processes (the CLI and the agent bundle), so a
// test never runs a stale build. The renderer is built by `npm test` itself (see package.json).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
}
