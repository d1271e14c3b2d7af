// The real CLI on a pseudo-terminal (util-linux `script`), so it asks for passwords and
// passphrases as it does for a person, and everything it shows (stdout and stderr, logs
// included) is captured as one screen for the tests to search.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(process.cwd(), 'bin', 'mchair.js');

/** Runs `mchair ARGS` on a pty and types each answer once its prompt has appeared. */
export function onTerminal(
  args: readonly string[],
  answers: ReadonlyArray<[RegExp, string]>,
  timeoutMs = 240_000,
): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let asked = 0;
  const pending = [...answers];
  const onData = (d: Buffer): void => {
    screen += d.toString();
    const next = pending[0];
    // Only text after the previous answer can hold the next prompt.
    if (next && next[0].test(screen.slice(asked))) {
      pending.shift();
      asked = screen.length;
      child.stdin.write(`${next[1]}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen });
    }),
  );
}
