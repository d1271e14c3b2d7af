// Two programs on one data folder see one truth: a real `mchair run` beside two real `mchair
// serve`s. Each serve shows the CLI's run with its owner and refuses to stop or delete it; once
// the CLI is SIGKILLed the run is failed, saying why, for every program (never "starting" or
// "running" forever). The virtual farm one serve starts is the other's too: it sees who started
// it, and a second start is refused naming the starter.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/index';
import { openPage, startServe, type Page, type ServeProcess } from '../security/serve';
import { CLI } from '../security/terminal';
import { childPids, leftBehind } from './run-folder';

let dataDir: string;
const serves: ServeProcess[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-owners-'));
  for (let i = 0; i < 2; i++) {
    const s = await startServe(dataDir, { logLevel: 'warn' });
    serves.push(s);
    pages.push(await openPage(s.port, s.token));
  }
});
afterAll(async () => {
  await pages[0]?.call('farm/down', {}).catch(() => undefined);
  for (const p of pages) p.close();
  for (const s of serves) await s.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function runs(page: Page): Promise<RunSummary[]> {
  const r = await page.call('run/list', {});
  expect(r.ok).toBe(true);
  return (r.result as { runs: RunSummary[] }).runs;
}

async function until<T>(
  what: () => Promise<T | undefined>,
  why: () => string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await what();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${why()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('two programs on one data folder', () => {
  it('shows a CLI run with its owner in both serves, refuses to stop or delete it, and marks it failed once its process is killed', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--data-dir',
        dataDir,
        'run',
        '--model',
        'tiny-cnn',
        '--plan',
        'auto',
        '--emulate',
        'pi4:2',
        '--frames',
        '1000000',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    let agents: number[] = [];
    try {
      const run = await until(
        async () => (await runs(pages[0]!)).find((r) => r.state === 'running' && r.completed > 0),
        () => stderr,
      );
      expect(run.owner).toEqual({ pid: child.pid, program: 'mchair run', host: hostname() });
      // The other serve sees the same run, with the same owner.
      expect((await runs(pages[1]!)).find((r) => r.id === run.id)?.owner).toEqual(run.owner);
      const owner = `mchair run (pid ${child.pid} on ${hostname()})`;
      for (const [command, page] of [
        ['run/stop', pages[0]!],
        ['run/delete', pages[1]!],
      ] as const) {
        const refused = await page.call(command, { runId: run.id });
        expect(refused).toMatchObject({ ok: false, error: { code: 'RUN_ELSEWHERE' } });
        expect(JSON.stringify(refused)).toContain(owner);
      }
      agents = childPids(child.pid as number);
      child.kill('SIGKILL');
      await exited;
      for (const page of pages) {
        const after = (await runs(page)).find((r) => r.id === run.id)!;
        expect(after.state).toBe('failed');
        expect(after.message).toContain(`${owner} ended while the run was running`);
        expect(after.endedAt).not.toBeNull();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      for (const pid of await leftBehind(agents)) process.kill(pid, 'SIGKILL');
    }
    expect(stderr).not.toContain('Error');
  }, 240_000);

  it('shares one virtual farm: the other serve sees who started it and is told so when it starts one', async () => {
    const up = await pages[0]!.call('farm/up', { spec: 'pi4:2' }, 120_000);
    expect(up.ok, JSON.stringify(up)).toBe(true);
    const starter = { pid: serves[0]!.child.pid, program: 'mchair serve', host: hostname() };
    const seen = await pages[1]!.call('farm/status', {});
    expect(seen.result).toMatchObject({ up: true, startedBy: starter });
    const again = await pages[1]!.call('farm/up', { spec: 'pi4:1' }, 120_000);
    expect(again).toMatchObject({ ok: false, error: { code: 'FARM_RUNNING' } });
    expect(JSON.stringify(again)).toContain(
      `started by mchair serve (pid ${serves[0]!.child.pid} on ${hostname()})`,
    );
    // The second serve runs on the first one's farm.
    const r = await pages[1]!.call('run/start', {
      model: 'tiny-cnn',
      farm: { kind: 'virtual' },
      frames: 10,
    });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const { runId } = r.result as { runId: string };
    const end = await pages[1]!.event(
      'run/state',
      (p) => p.runId === runId && ['done', 'failed', 'stopped'].includes(p.state as string),
    );
    expect(end.state).toBe('done');
    expect((await pages[1]!.call('farm/down', {})).ok).toBe(true);
  }, 240_000);
});
