// Bundles the node programs that electron-vite does not build: the `mchair` CLI (its packages
// stay external, resolved from node_modules) and the remote agent (one self-contained file; only
// onnxruntime, which carries native and WebAssembly binaries, ships beside it).
// Usage: node scripts/build-node.mjs [cli] [agent]   (both when none is named)
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wanted = process.argv.slice(2);
const targets = {
  cli: {
    entryPoints: ['src-main/cli/entry.ts'],
    outfile: 'out/cli/mchair.js',
    packages: 'external',
  },
  agent: {
    entryPoints: ['remote-agent/src/main.ts'],
    outfile: 'out/agent/mchair-agent.mjs',
    external: ['onnxruntime-node', 'onnxruntime-web'],
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
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
  // Build beside the target and rename into place, so a process starting the program (a test,
  // another engineer's build) never sees a half-written or missing bundle.
  const tmp = `${t.outfile}.${process.pid}.tmp`;
  try {
    await build({
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      logLevel: 'warning',
      define: { __APP_VERSION__: JSON.stringify(pkg.version) },
      ...t,
      outfile: tmp,
    });
  } catch {
    // A failed build must not leave the previous bundle behind to be tested by mistake.
    rmSync(t.outfile, { force: true });
    rmSync(tmp, { force: true });
    process.exit(1);
  }
  // The source map keeps its temporary name in the bundle's last line: point it at the real one.
  const js = readFileSync(tmp, 'utf8').replace(
    /sourceMappingURL=.*$/m,
    `sourceMappingURL=${basename(t.outfile)}.map`,
  );
  writeFileSync(tmp, js);
  renameSync(`${tmp}.map`, `${t.outfile}.map`);
  renameSync(tmp, t.outfile);
}
