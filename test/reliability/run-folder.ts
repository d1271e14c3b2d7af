// What the SIGKILL tests of the run store read back: a run folder's jsonl files (whole lines
// parsed, a torn last append told apart), the files beside them checked whole, and the processes
// a killed coordinator may leave.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The children of a process (a coordinator's agents), to check none outlives it. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='])
      .toString()
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // ps exits 1 when there is none.
    return [];
  }
}

/** Waits up to 5 s for the processes to end; kills and returns those still alive. */
export async function leftBehind(pids: readonly number[]): Promise<number[]> {
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(alive);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  return left;
}

/** Whole lines of a jsonl file, parsed; a last line without its newline is a torn append. */
export function jsonl(path: string): { lines: unknown[]; torn: boolean } {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const parts = text.split('\n');
  const last = parts.pop() as string;
  return { lines: parts.map((l) => JSON.parse(l) as unknown), torn: last !== '' };
}

/**
 * Every .json file in the folder parses, every whole line of an appended log (jsonl, csv) is
 * whole (a csv line has its header's columns); anything else but the parts folders is a hidden
 * temporary file.
 */
export function expectWholeFiles(runDir: string): void {
  for (const f of readdirSync(runDir)) {
    const path = join(runDir, f);
    if (f.endsWith('.json')) JSON.parse(readFileSync(path, 'utf8'));
    else if (f.endsWith('.jsonl')) jsonl(path);
    else if (f.endsWith('.csv')) {
      const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
      const columns = lines[0]?.split(',').length;
      for (const l of lines) expect(l.split(',').length, `${f}: ${l}`).toBe(columns);
    } else if (!f.startsWith('parts')) expect(f).toMatch(/^\..*\.tmp$/);
  }
}
