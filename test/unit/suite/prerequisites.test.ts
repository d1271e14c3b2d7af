// The suite's own check of the system programs it needs, on real folders and files.
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { found, missingLine } from '../../prerequisites';

const bin = mkdtempSync(join(tmpdir(), 'mchair-prereq-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('test prerequisites', () => {
  it('finds a program on PATH only when it is there and executable', () => {
    writeFileSync(join(bin, 'pdftoppm'), '#!/bin/sh\n');
    expect(found('pdftoppm', bin)).toBe(false);
    chmodSync(join(bin, 'pdftoppm'), 0o755);
    expect(found('pdftoppm', `/nonexistent${delimiter}${bin}`)).toBe(true);
    expect(found('ip', bin)).toBe(false);
  });

  it('names the missing programs and the one command that installs their packages', () => {
    symlinkSync(join(bin, 'pdftoppm'), join(bin, 'ip'));
    const present = new Set(['/usr/sbin/sshd', 'ip']);
    // Programs by absolute path are judged missing unless listed, whatever this machine has.
    const line = missingLine(
      bin,
      (p, path) => present.has(p) || (!p.startsWith('/') && found(p, path)),
    );
    expect(line).toBe(
      'the tests need /usr/bin/chromium: install them with "sudo apt-get install chromium" (Debian/Ubuntu)',
    );
    const none = missingLine('/nonexistent', () => false);
    expect(none).toContain('sudo apt-get install openssh-server chromium iproute2 poppler-utils');
    expect(none).not.toContain('\n');
  });

  it('passes on this machine, which has them all', () => {
    expect(missingLine(process.env.PATH ?? '')).toBeNull();
  });
});
