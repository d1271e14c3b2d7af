// Builds the Electron main process, the sandboxed preload and the renderer into out/.
// The preload is bundled whole (no externals) as CommonJS: a sandboxed preload can only
// require('electron') and a few built-ins, so its contract code must travel inside it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')) as {
  version: string;
};
const version = { __APP_VERSION__: JSON.stringify(pkg.version) };

// `electron-vite dev` injects styles inline and talks to its server over a WebSocket for hot
// reload; the built app keeps index.html's strict policy untouched.
const devCsp: Plugin = {
  name: 'mchair-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) =>
    html
      .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
      .replace("connect-src 'self'", "connect-src 'self' ws: http://localhost:*"),
};

export default defineConfig({
  main: {
    define: version,
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-main/electron/main.ts') },
        // The core's rooms load on demand, as chunks; beside the entry, so code that finds files
        // relative to its own module (../../resources) finds them from any chunk.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      isolatedEntries: true,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    define: version,
    plugins: [vue(), devCsp],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: resolve(import.meta.dirname, 'src-renderer/index.html') },
    },
  },
});
