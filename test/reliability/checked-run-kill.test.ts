// Issue 9.5 under `--check`: the whole-model check is slower than a fast farm (three emulated
// laptops with AlexNet replicas outrun one thread computing the whole model), so it runs behind
// the results (runtime/checkBehind.ts). A real `mchair run --check` is SIGKILLed while the check
// is well behind the results recorded (its progress line on stderr: results counted, recorded in
// frame order, checked; when results waited for their check, recorded could never run ahead of
// checked), and the store must still hold every result recorded more than a second before the
// kill: results.jsonl in frame order, run.json whole and never claiming more than is stored,
// check verdicts only for stored results.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { RunSummary } from '../../src-main/contract/index';
import { CLI } from '../security/terminal';
import { childPids, expectWholeFiles, jsonl, leftBehind } from './run-folder';

const FRAMES = 100_000;

interface Progress {
  at: number;
  recorded: number;
  checked: number;
}

describe('mchair run --check killed with SIGKILL', () => {
  for (const afterLagMs of [2500, 3400]) {
    it(`keeps every result counted more than a second before the kill, checked or not (killed ${afterLagMs} ms after the check fell behind)`, async () => {
      const data = mkdtempSync(join(tmpdir(), 'mchair-check-kill-'));
      const child = spawn(
        process.execPath,
        [
          CLI,
          '--data-dir',
          data,
          'run',
          '--model',
          'alexnet-mc',
          '--emulate',
          'x86-laptop:3',
          '--plan',
          'auto',
          '--frames',
          String(FRAMES),
          '--check',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const exited = new Promise((r) => child.once('exit', r));
      const seen: Progress[] = [];
      let stderr = '';
      let agents: number[] = [];
      let killedAt = 0;
      try {
        // Waits until the check is at least 15 results behind those recorded.
        await new Promise<void>((resolve, reject) => {
          const late = setTimeout(
            () => reject(new Error(`the check never fell behind in 40 s: ${stderr}`)),
            40_000,
          );
          createInterface({ input: child.stderr }).on('line', (l) => {
            stderr += `${l}\n`;
            const m = /^\s+\d+\/\d+ frames, (\d+) recorded, (\d+) checked$/.exec(l);
            if (!m) return;
            const p = { at: Date.now(), recorded: Number(m[1]), checked: Number(m[2]) };
            seen.push(p);
            if (p.recorded - p.checked >= 15) resolve();
          });
          child.once('exit', (code) => reject(new Error(`mchair run exited ${code}: ${stderr}`)));
          void exited.then(() => clearTimeout(late));
        });
        await new Promise((r) => setTimeout(r, afterLagMs));
        agents = childPids(child.pid as number);
        killedAt = Date.now();
      } finally {
        child.kill('SIGKILL');
        await exited;
      }

      const runs = readdirSync(join(data, 'runs'));
      expect(runs).toHaveLength(1);
      const runDir = join(data, 'runs', runs[0] as string);
      const results = jsonl(join(runDir, 'results.jsonl')).lines as Array<{ frameId: number }>;
      const ids = results.map((r) => r.frameId);
      // "Its last second", with room for a flush timer late on a busy machine.
      const counted = seen.filter((p) => p.at <= killedAt - 1500);
      const last = counted[counted.length - 1];
      expect(last, `no progress line 1.5 s before the kill: ${stderr}`).toBeDefined();
      const mustHave = (last as Progress).recorded;
      // The case this test is about: the check was behind on results recorded by then.
      expect(counted.some((p) => p.recorded - p.checked >= 15)).toBe(true);
      expect(
        ids.length,
        'results.jsonl against those recorded 1.5 s before',
      ).toBeGreaterThanOrEqual(mustHave);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
      // run.json: whole, still running, never beyond what results.jsonl holds, and its progress
      // past what was recorded 3 s before (it is replaced whole, with an fsync, behind the
      // appends: a write that takes a while on a busy machine is not waited for).
      const summary = RunSummary.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
      expect(summary.state).toBe('running');
      expect(summary.completed).toBeLessThanOrEqual(ids.length);
      const before3s = seen.filter((p) => p.at <= killedAt - 3000).pop();
      expect(
        summary.completed,
        'run.json against those recorded 3 s before',
      ).toBeGreaterThanOrEqual(before3s?.recorded ?? 0);
      expect(summary.completed).toBeGreaterThan(0);
      // Verdicts come behind, for stored results only, in order, all within tolerance.
      const checks = jsonl(join(runDir, 'checks.jsonl')).lines as Array<{
        frameId: number;
        maxAbsDiff: number;
      }>;
      expect(checks.length).toBeGreaterThan(0);
      expect(checks.length).toBeLessThan(ids.length);
      expect(checks.map((c) => c.frameId)).toEqual(ids.slice(0, checks.length));
      for (const c of checks) expect(c.maxAbsDiff).toBeLessThan(1e-5);
      expectWholeFiles(runDir);
      expect(await leftBehind(agents)).toEqual([]);
    });
  }
});
