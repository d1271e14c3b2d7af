// `npm run screenshots`: builds the app, then runs the Chromium e2e suite against `mchair serve`
// with its screenshots going to docs/screenshots, where the README shows them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = (path) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
const run = (args, env = {}) => {
  const r = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run([bin('electron-vite/bin/electron-vite.js'), 'build']);
run([bin('vitest/vitest.mjs'), 'run', 'test/e2e'], { MCHAIR_SCREENSHOTS: 'docs/screenshots' });
