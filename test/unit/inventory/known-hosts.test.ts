// known_hosts parsing and checks, cross-checked with OpenSSH's own ssh-keygen.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fingerprint,
  hostPattern,
  KnownHosts,
  keyTypeOf,
} from '../../../src-main/inventory/known-hosts';

const dir = mkdtempSync(join(tmpdir(), 'mchair-kh-'));

function key(name: string, type = 'ed25519'): { line: string; blob: Buffer; print: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  return {
    line,
    blob: Buffer.from(line.split(' ')[1]!, 'base64'),
    print: execFileSync('ssh-keygen', ['-lf', `${file}.pub`])
      .toString()
      .split(' ')[1]!,
  };
}

const a = key('a');
const b = key('b');
const r = key('r', 'rsa');

describe('KnownHosts', () => {
  it('fingerprints and key types match ssh-keygen', () => {
    expect(fingerprint(a.blob)).toBe(a.print);
    expect(fingerprint(r.blob)).toBe(r.print);
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(r.blob)).toBe('ssh-rsa');
    expect(hostPattern('pi', 22)).toBe('pi');
    expect(hostPattern('pi', 2222)).toBe('[pi]:2222');
  });

  it('matches plain, wildcard, negated, port and hashed entries', async () => {
    const path = join(dir, 'kh1');
    const body = (l: string) => l.split(' ').slice(0, 2).join(' ');
    writeFileSync(
      path,
      [
        '# comment',
        `pi-01,10.0.0.1 ${body(a.line)}`,
        `[10.0.0.2]:2222 ${body(r.line)}`,
        `hashed.lab ${body(a.line)}`,
        '',
      ].join('\n'),
    );
    // ssh-keygen -H rewrites every entry in hashed form (and keeps a .old copy).
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
    expect(readFileSync(path, 'utf8')).not.toContain('hashed.lab');
    const kh = await KnownHosts.load(path);
    expect(kh.check('10.0.0.1', 22, a.blob)).toEqual({ status: 'match' });
    expect(kh.check('hashed.lab', 22, a.blob)).toEqual({ status: 'match' });
    expect(kh.check('10.0.0.2', 2222, r.blob)).toEqual({ status: 'match' });
    // Port matters: the same host on 22 is another entry (unknown).
    expect(kh.check('10.0.0.2', 22, r.blob).status).toBe('unknown');

    const plain = join(dir, 'kh2');
    writeFileSync(
      plain,
      `*.lab,!evil.lab ${body(b.line)}\ngarbage-line\n@revoked * ${body(r.line)}\n`,
    );
    const kh2 = await KnownHosts.load(plain);
    expect(kh2.check('board.lab', 22, b.blob)).toEqual({ status: 'match' });
    expect(kh2.check('evil.lab', 22, b.blob).status).toBe('unknown');
    expect(kh2.check('anything', 22, r.blob).status).toBe('revoked');
    const changed = kh2.check('board.lab', 22, a.blob);
    expect(changed).toEqual({
      status: 'changed',
      presented: { keyType: 'ssh-ed25519', fingerprint: a.print },
      known: [{ keyType: 'ssh-ed25519', fingerprint: b.print }],
    });
    expect(kh2.knownKeyTypes('board.lab', 22)).toEqual(['ssh-ed25519']);
  });

  it('adds lines that ssh-keygen -F finds, keeping lines another process wrote meanwhile', async () => {
    const path = join(dir, 'kh3');
    const kh = await KnownHosts.load(path);
    writeFileSync(path, `other ${a.line.split(' ').slice(0, 2).join(' ')}`);
    await Promise.all([kh.add('10.0.0.7', 2200, b.blob), kh.add('10.0.0.8', 22, r.blob)]);
    expect(execFileSync('ssh-keygen', ['-F', '[10.0.0.7]:2200', '-f', path]).toString()).toContain(
      b.line.split(' ')[1],
    );
    expect(execFileSync('ssh-keygen', ['-F', '10.0.0.8', '-f', path]).toString()).toContain(
      r.line.split(' ')[1],
    );
    expect(execFileSync('ssh-keygen', ['-F', 'other', '-f', path]).toString()).toContain(
      a.line.split(' ')[1],
    );
    expect(kh.check('10.0.0.7', 2200, b.blob)).toEqual({ status: 'match' });
  });
});
