// Bundles the node programs that electron-vite does not build: the `mchair` CLI (its packages
// stay external, resolved from node_modules; split into chunks that each command loads on demand,
// so `mchair plan` never loads ssh2, onnxruntime or the reports) and the remote agent (one
// self-contained file; only onnxruntime, which carries native and WebAssembly binaries, ships
// beside it).
// Usage: node scripts/build-node.mjs [cli] [agent]   (both when none is named)
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wanted = process.argv.slice(2);
// Bundled CommonJS dependencies call require(); give each ESM file of a bundle one.
const requireBanner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};
const targets = {
  cli: {
    entryPoints: ['src-main/cli/entry.ts'],
    outfile: 'out/cli/mchair.js',
    // Packages stay external, but for those every command loads: node resolves and links each
    // of zod's ~80 modules one by one (80 ms of a fresh process's CPU), esbuild's chunk at once.
    external: Object.keys(pkg.dependencies).filter((d) => !['zod', 'commander'].includes(d)),
    splitting: true,
    banner: requireBanner,
  },
  agent: {
    entryPoints: ['remote-agent/src/main.ts'],
    outfile: 'out/agent/mchair-agent.mjs',
    external: ['onnxruntime-node', 'onnxruntime-web'],
    banner: requireBanner,
  },
};
const names = wanted.length ? wanted : Object.keys(targets);
for (const name of names) {
  const t = targets[name];
  if (!t) {
    console.error(
      `build-node: unknown target "${name}" (choose from ${Object.keys(targets).join(', ')})`,
    );
    process.exit(2);
  }
  // Build beside the target and move into place, chunks first and the entry last, so a process
  // starting the program (a test, another engineer's build) never sees a half-written bundle or
  // an entry whose chunks are missing. Chunks sit beside the entry, so code that finds files
  // relative to its own module (../renderer, ../../resources) finds them from any chunk; they are
  // named by their content's hash, and one of an earlier build stays until it is an hour old,
  // for a process started from that build.
  const dir = dirname(t.outfile);
  const tmp = `${dir}.${process.pid}.tmp`;
  const { outfile, splitting, ...options } = t;
  const entry = basename(outfile);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await build({
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      logLevel: 'warning',
      define: { __APP_VERSION__: JSON.stringify(pkg.version) },
      ...options,
      ...(splitting
        ? {
            splitting,
            outdir: tmp,
            entryNames: basename(entry, '.js'),
            chunkNames: '[name]-[hash]',
          }
        : { outfile: join(tmp, entry) }),
    });
  } catch {
    // A failed build must not leave the previous bundle behind to be tested by mistake.
    rmSync(outfile, { force: true });
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  }
  mkdirSync(dir, { recursive: true });
  const isEntry = (f) => f === entry || f === `${entry}.map`;
  const chunks = readdirSync(tmp).filter((f) => !isEntry(f));
  for (const f of chunks) renameSync(join(tmp, f), join(dir, f));
  renameSync(join(tmp, `${entry}.map`), `${outfile}.map`);
  renameSync(join(tmp, entry), outfile);
  rmSync(tmp, { recursive: true, force: true });
  const hourAgo = Date.now() - 3_600_000;
  if (splitting)
    for (const f of readdirSync(dir))
      if (!isEntry(f) && !chunks.includes(f) && statSync(join(dir, f)).mtimeMs < hourAgo)
        rmSync(join(dir, f), { recursive: true });
}
