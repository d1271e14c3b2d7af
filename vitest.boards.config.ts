import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run test:boards`: the tests on emulated arm boards (qemu-user) and under systemd as PID 1
// (systemd-nspawn). They need root, debootstrap, qemu-user-static and systemd-container, build
// the boards' root filesystems on first use (scripts/arm-boards.mjs), and take minutes each, so
// `npm test` leaves them out and .ci/run runs them after it. One file at a time: every emulated
// board is a qemu process per program, and two files together overload a 2-core machine.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/boards/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
