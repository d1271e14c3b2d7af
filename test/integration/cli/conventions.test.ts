// The CLI conventions hold for every subcommand, present and future: --help works, --json is
// offered, usage errors exit 2 with one line, user errors exit 1 with one line and no stack.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src-main/cli/main';

const home = mkdtempSync(join(tmpdir(), 'mchair-cli-'));

function mchair(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/mchair.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MCHAIR_HOME: home },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [{ path, cmd }];
  return subs.flatMap((c) => leaves(c, [...path, c.name()]));
}

const commands = leaves(await buildProgram());

describe('every subcommand', () => {
  it('is found', () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  it.each(commands.map((c) => [c.path.join(' '), c] as const))('%s offers --json', (_name, c) => {
    expect(c.cmd.options.map((o) => o.long)).toContain('--json');
  });

  it.each(commands.map((c) => [c.path.join(' '), c.path] as const))(
    '%s --help exits 0 and prints usage',
    (_name, path) => {
      const r = mchair(...path, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: mchair /);
    },
  );
});

describe('conventions', () => {
  it('--json prints exactly one JSON document on stdout', () => {
    const r = mchair('info', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ dataDir: home });
  });

  it('an unknown command is a usage error: exit 2, one line', () => {
    const r = mchair('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mchair: unknown command 'frobnicate'/);
  });

  it('an unknown option is a usage error: exit 2, one line', () => {
    const r = mchair('info', '--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a user error is exit 1 with one line and no stack trace', () => {
    const r = mchair('runs', 'show', 'not/a-run');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
