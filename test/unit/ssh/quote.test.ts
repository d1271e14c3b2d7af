// shQuote against a real POSIX shell: whatever the string, the shell hands it back unchanged.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shCommand, shQuote } from '../../../src-main/ssh/quote';

const echoBack = (quoted: string): string =>
  execFileSync('sh', ['-c', `printf '%s' ${quoted}`], { encoding: 'utf8', cwd: '/tmp' });

describe('shQuote', () => {
  it('keeps metacharacters literal', () => {
    for (const s of [
      `a b`,
      `it's`,
      `"dq"`,
      `; touch /tmp/x`,
      '$(id)',
      '`id`',
      '$HOME',
      '*',
      '\\n',
      '-rf',
      '',
      "''",
      'a\nb',
    ]) {
      expect(echoBack(shQuote(s))).toBe(s);
    }
  });

  it('round-trips any string without NUL through sh', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        (s) => {
          expect(echoBack(shQuote(s))).toBe(s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses NUL and quotes every word of a command', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
    expect(
      execFileSync('sh', ['-c', shCommand('printf', '%s|', 'a b', '$(x)')], { encoding: 'utf8' }),
    ).toBe('a b|$(x)|');
  });
});
