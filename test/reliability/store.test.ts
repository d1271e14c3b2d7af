// Issue 9.5, data: the run store keeps everything handed to it more than a second before a
// SIGKILL (a recording process killed at many moments: jsonl lines whole and in order but for a
// torn last one, run.json always valid); a coordinator killed in the middle of `mchair demo`
// leaves a run folder the readers take as it is (marked failed, naming the process that died)
// and no agent behind; and inventory edits from
// several processes at once are all kept (none lost to a race), also after a crashed editor left
// its lock.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunMetrics, RunSummary } from '../../src-main/contract/index';
import { CLI } from '../security/terminal';
import { childPids, expectWholeFiles, jsonl, leftBehind } from './run-folder';

function mchair(data: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, '--data-dir', data, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Runs `mchair demo --skeleton --frames 2000`; SIGKILLs it `killAfterMs` after its first progress. */
async function killedDemo(
  killAfterMs: number,
): Promise<{ data: string; runDir: string; agents: number[]; pid: number }> {
  const data = mkdtempSync(join(tmpdir(), 'mchair-sigkill-'));
  const child = spawn(
    process.execPath,
    [CLI, '--data-dir', data, 'demo', '--skeleton', '--frames', '2000'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/\d+\/2000 frames/.test(stderr)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`demo exited ${code} before reporting progress: ${stderr}`)),
    );
  });
  await new Promise((r) => setTimeout(r, killAfterMs));
  const agents = childPids(child.pid as number);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const runs = readdirSync(join(data, 'runs'));
  expect(runs).toHaveLength(1);
  return { data, runDir: join(data, 'runs', runs[0]!), agents, pid: child.pid as number };
}

describe('the run store under SIGKILL', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = join(mkdtempSync(join(tmpdir(), 'mchair-recorder-')), 'recorder-child.mjs');
    await build({
      entryPoints: ['test/reliability/recorder-child.ts'],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // Self-contained: the bundle lives in a temporary folder with no node_modules beside it.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'silent',
    });
  });

  // Kill times spread over the flush cycle (1 s): before, during and between flushes.
  for (const killAfterMs of [1600, 1900, 2250, 2600, 3050]) {
    it(`keeps, whole and in order, every result handed over more than a second before the kill (at ${killAfterMs} ms)`, async () => {
      const data = mkdtempSync(join(tmpdir(), 'mchair-store-kill-'));
      const child = spawn(process.execPath, [bundle, data], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((r) => child.once('exit', r));
      const handed: Array<{ at: number; n: number }> = [];
      let runId = '';
      // Timed from the first batch handed over, so a slow start does not eat the margin.
      await new Promise<void>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (l) => {
          if (l.startsWith('run ')) runId = l.slice(4);
          else handed.push({ at: Date.now(), n: Number(l) });
          if (handed.length === 1) resolve();
        }),
      );
      await new Promise((r) => setTimeout(r, killAfterMs));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
      // "Its last second", with room for a timer late on a busy machine.
      const mustHave = Math.max(
        0,
        ...handed.filter((h) => h.at <= killedAt - 1500).map((h) => h.n),
      );
      expect(mustHave, 'the recorder was handed results before the margin').toBeGreaterThan(0);
      const runDir = join(data, 'runs', runId);
      const summary = RunSummary.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
      expect(summary.state).toBe('running');
      const results = jsonl(join(runDir, 'results.jsonl'));
      const ids = results.lines.map((r) => (r as { frameId: number }).frameId);
      expect(ids.length).toBeGreaterThanOrEqual(mustHave);
      // In order, no gap, no duplicate: lines are appended whole, in the order handed over.
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
    });
  }
});

describe('a coordinator killed with SIGKILL mid-run', () => {
  for (const killAfterMs of [1500, 3500]) {
    it(`leaves a run folder the readers take as it is, and no agent behind (killed ${killAfterMs} ms into the run)`, async () => {
      const { data, runDir, agents, pid } = await killedDemo(killAfterMs);
      // run.json is whole and valid: it is only ever replaced by rename.
      const summary = RunSummary.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
      expect(summary.state).toBe('running');
      // Every complete jsonl line parses; results are unique frames.
      const results = jsonl(join(runDir, 'results.jsonl'));
      const ids = results.lines.map((r) => (r as { frameId: number }).frameId);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
      const metrics = jsonl(join(runDir, 'metrics.jsonl'));
      for (const m of metrics.lines) RunMetrics.parse(m);
      // Every other file in the folder parses; a temporary file left by the kill is hidden.
      expectWholeFiles(runDir);
      // The readers take the run as it is, also with a torn last line (a crash mid-append).
      appendFileSync(join(runDir, 'metrics.jsonl'), '{"runId":"torn","t":1');
      const shown = mchair(data, 'runs', 'show', summary.id, '--json');
      expect(shown.status, shown.stderr).toBe(0);
      const seen = JSON.parse(shown.stdout) as { run: RunSummary; metrics: unknown[] };
      expect(seen.metrics).toHaveLength(metrics.lines.length);
      // Its process is gone, so the first program to read it records it as failed, saying why.
      expect(seen.run.state).toBe('failed');
      expect(seen.run.message).toMatch(
        new RegExp(`^mchair demo \\(pid ${pid} on .+\\) ended while the run was running`),
      );
      expect(RunSummary.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')))).toEqual(
        seen.run,
      );
      const report = mchair(data, 'report', summary.id, '--format', 'json');
      expect(report.status, report.stderr).toBe(0);
      const listed = mchair(data, 'runs', 'list', '--json');
      expect(listed.stdout).toContain(summary.id);
      // No agent outlives its coordinator.
      expect(await leftBehind(agents)).toEqual([]);
    });
  }
});

describe('inventory edits from several processes at once', () => {
  it('keeps every add, import and remove (none lost to a read-modify-write race)', async () => {
    const data = mkdtempSync(join(tmpdir(), 'mchair-inv-race-'));
    expect(
      mchair(data, 'devices', 'add', 'old-1', '--host', '10.0.1.1', '--user', 'pi').status,
    ).toBe(0);
    writeFileSync(
      join(data, 'more.csv'),
      'name,host,user\nimp-1,10.0.2.1,pi\nimp-2,10.0.2.2,pi\nimp-3,10.0.2.3,pi\n',
    );
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [CLI, '--data-dir', data, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('exit', (code) => resolve({ code, stderr }));
      });
    const all = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        run('devices', 'add', `pi-${i}`, '--host', `10.0.0.${i + 1}`, '--user', 'pi'),
      ),
      run('devices', 'import', join(data, 'more.csv')),
      run('devices', 'remove', 'old-1'),
    ]);
    for (const r of all) expect(r, r.stderr).toMatchObject({ code: 0 });
    const names = (
      JSON.parse(mchair(data, 'devices', 'list', '--json').stdout) as {
        devices: { name: string }[];
      }
    ).devices
      .map((d) => d.name)
      .sort();
    expect(names).toEqual(
      [...Array.from({ length: 8 }, (_, i) => `pi-${i}`), 'imp-1', 'imp-2', 'imp-3'].sort(),
    );
    expect(readdirSync(data).filter((f) => f.includes('.lock') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('takes over the lock of an editor that was killed', () => {
    const data = mkdtempSync(join(tmpdir(), 'mchair-inv-lock-'));
    // The pid of a process that has exited: what a SIGKILLed editor leaves in its lock.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(data, 'inventory.json.lock'), gone.stdout);
    const t0 = Date.now();
    const r = mchair(data, 'devices', 'add', 'pi-1', '--host', '10.0.0.1', '--user', 'pi');
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(existsSync(join(data, 'inventory.json.lock'))).toBe(false);
  });
});
