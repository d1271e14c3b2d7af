// The built `mchair` in a child process, as a user runs it from the repository: its exit code,
// stdout and stderr, never throwing, so a test can assert on a failing command.
import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runMchair(...args: string[]): Promise<CliResult> {
  return runMchairWith({}, ...args);
}

/** The same with variables added to its environment (a CA to trust, a proxy). */
export function runMchairWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/mchair.js', ...args],
      { maxBuffer: 1 << 26, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
