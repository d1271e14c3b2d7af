#!/usr/bin/env node
// The `mchair` command: runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../out/cli/mchair.js', import.meta.url));
if (!existsSync(built)) {
  process.stderr.write(
    'mchair: not built yet: run `npm run build` (or `npm run build:cli`) in the repository first\n',
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(built).href);
await main(process.argv.slice(2));
