// A private snapshot of the built CLI and agent for one test file. test/global-setup.ts deletes
// and rebuilds out/ whenever anyone starts vitest, and several engineers do so on this machine at
// once: tests that start processes for a minute must not run a bundle that vanishes mid-test.
// The snapshot lives inside the repository so the bundles still resolve node_modules.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Bundles {
  /** Runs the snapshot CLI with MCHAIR_HOME=home; rejects like execFile on a non-zero exit. */
  cli(home: string, ...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Starts the snapshot CLI with MCHAIR_HOME=home and leaves it running (the caller stops it by pid). */
  start(home: string, ...args: string[]): ChildProcess;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function snapshotBundles(): Promise<Bundles> {
  await mkdir('.cache', { recursive: true });
  const dir = await mkdtemp(join(process.cwd(), '.cache', 'bundles-'));
  // The CLI's entry and the chunks beside it that its commands load on demand.
  await cp('out/cli', dir, { recursive: true, filter: (f) => !f.endsWith('.map') });
  await copyFile('out/agent/mchair-agent.mjs', join(dir, 'mchair-agent.mjs'));
  const env = { MCHAIR_AGENT_BUNDLE: join(dir, 'mchair-agent.mjs') };
  const runner = join(dir, 'run.mjs');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    runner,
    "const { main } = await import('./mchair.js');\nawait main(process.argv.slice(2));\n",
  );
  return {
    env,
    cli: (home, ...args) =>
      exec(process.execPath, [runner, ...args], {
        env: { ...process.env, ...env, MCHAIR_HOME: home },
      }),
    start: (home, ...args) =>
      spawn(process.execPath, [runner, ...args], {
        env: { ...process.env, ...env, MCHAIR_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
