import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Unit tests run in parallel; integration and e2e tests start real processes (agents, sshd,
// Chromium) on a 2-core machine, so they get longer time-outs.
export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts', 'remote-agent/test/**/*.test.ts'],
    // Emulated arm boards and systemd: `npm run test:boards` (vitest.boards.config.ts).
    exclude: ['**/node_modules/**', 'test/boards/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
