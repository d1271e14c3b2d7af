// Starts a real `mchair serve` process for the e2e tests (built CLI, built renderer, its own temp
// data folder) and hands back the address it printed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const READY_LINE =
  /^Serving on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{20,}))$/;

export interface ServeProcess {
  /** The printed address, token included. */
  readonly url: string;
  readonly origin: string;
  /** The data folder serve runs on (MCHAIR_HOME): what the tests read back from disk. */
  readonly dataDir: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Every line the process printed on stdout. */
  readonly stdout: string[];
  readonly stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `log`: pino's level for serve's stderr (a secrets test reads everything, at debug); `env`:
 * variables added to its environment (a CA to trust, a proxy). `home`: a data folder of the
 * caller's, kept when serve stops (a restart test starts serve on it again); without it serve gets
 * a fresh one, removed when it stops.
 */
export async function startServe(
  opts: { log?: string; env?: NodeJS.ProcessEnv; home?: string } = {},
): Promise<ServeProcess> {
  if (!existsSync('out/renderer/index.html')) {
    throw new Error(
      'the renderer is not built: run `npx electron-vite build` (npm test does) first',
    );
  }
  const home = opts.home ?? (await mkdtemp(join(tmpdir(), 'mchair-e2e-')));
  const child = spawn(process.execPath, ['bin/mchair.js', 'serve', '--port', '0'], {
    env: { ...process.env, ...opts.env, MCHAIR_HOME: home, MCHAIR_LOG: opts.log ?? 'warn' },
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      const m = READY_LINE.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) =>
      reject(new Error(`mchair serve exited (${code}) before it was ready:\n${stderr}`)),
    );
  });
  return {
    url,
    origin: new URL(url).origin,
    dataDir: home,
    child,
    stdout,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!opts.home) await rm(home, { recursive: true, force: true });
      return code;
    },
  };
}
