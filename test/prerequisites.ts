// The system programs the test suite runs for real (an OpenSSH server, Chromium, iproute2,
// poppler-utils), checked once before any test: a machine without one stops at once with one line
// naming the Debian packages to install, instead of failing tests one by one ("spawn pdftoppm
// ENOENT" in a report test after minutes of others).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Prerequisite {
  /** The Debian package that brings it. */
  package: string;
  /** An absolute path (the tests start it by that path) or a program looked up on PATH. */
  program: string;
}

export const PREREQUISITES: readonly Prerequisite[] = [
  { package: 'openssh-server', program: '/usr/sbin/sshd' },
  { package: 'chromium', program: '/usr/bin/chromium' },
  { package: 'iproute2', program: 'ip' },
  { package: 'poppler-utils', program: 'pdftoppm' },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `program` can be started: by its path, or found on `path` (a PATH value). */
export function found(program: string, path: string): boolean {
  if (program.includes('/')) return executable(program);
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => executable(join(dir, program)));
}

/** The one line that says what to install, or null when nothing is missing. */
export function missingLine(
  path: string,
  has: (program: string, path: string) => boolean = found,
): string | null {
  const missing = PREREQUISITES.filter((p) => !has(p.program, path));
  if (missing.length === 0) return null;
  const packages = missing.map((p) => p.package).join(' ');
  return `the tests need ${missing.map((p) => p.program).join(', ')}: install them with "sudo apt-get install ${packages}" (Debian/Ubuntu)`;
}
