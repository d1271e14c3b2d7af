// The run-side commands go through the core's dispatcher, as the app and serve do: its log line
// names the command, the contract refuses a value the command passed on, and Ctrl-C stops the
// run through run/stop, the run recorded as stopped with its report still printed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMchair } from './run-mchair';

const dataDir = mkdtempSync(join(tmpdir(), 'mchair-core-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const run = ['run', '--data-dir', dataDir, '--emulate', 'pi3:2', '--model', 'tiny-cnn'];

describe('mchair run through the core', () => {
  it("logs the dispatcher's line for run/start and prints the run's report", async () => {
    const r = await runMchair(
      '--log-level',
      'debug',
      ...run,
      '--plan',
      'auto',
      '--frames',
      '12',
      '--json',
    );
    expect(r.code).toBe(0);
    const done = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { command?: string; msg?: string });
    expect(done).toContainEqual(
      expect.objectContaining({ command: 'run/start', msg: 'command done' }),
    );
    const report = JSON.parse(r.stdout) as { runId: string; frames: { completed: number } };
    expect(report.frames.completed).toBe(12);
  }, 120_000);

  it("refuses a value the contract refuses with the contract's one line", async () => {
    const r = await runMchair(...run, '--plan', 'auto', '--chaos', `kill:${'x'.repeat(5000)}@3`);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^mchair: run\/start\.chaos: .*4000/),
    ]);
  }, 60_000);

  it('stops the run on Ctrl-C through run/stop and still reports it', async () => {
    const child = spawn(
      process.execPath,
      ['bin/mchair.js', ...run, '--plan', 'auto', '--frames', '1000000', '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    // Ctrl-C once the run is running (its parts deployed), and a little into its frames.
    const runs = join(dataDir, 'runs');
    const started = Date.now();
    const running = (): boolean => {
      try {
        return readFileSync(join(runs, latest(runs), 'run.json'), 'utf8').includes('"running"');
      } catch {
        return false;
      }
    };
    while (!running() && Date.now() - started < 60_000) await sleep(200);
    await sleep(1500);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { runId: string; frames: { completed: number } };
    expect(report.frames.completed).toBeGreaterThan(0);
    expect(report.frames.completed).toBeLessThan(1_000_000);
    const recorded = JSON.parse(readFileSync(join(runs, report.runId, 'run.json'), 'utf8')) as {
      state: string;
    };
    expect(recorded.state).toBe('stopped');
  }, 120_000);
});

/** The newest run's folder (run ids sort by time). */
function latest(dir: string): string {
  return readdirSync(dir).sort().at(-1) ?? '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
