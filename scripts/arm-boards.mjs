#!/usr/bin/env node
// Root filesystems of the emulated boards the board tests run: Debian bookworm arm64 (a 64-bit Pi
// OS or a Jetson's userland) and armhf (the base of 32-bit Raspberry Pi OS), each built from
// Debian's own packages by debootstrap with its own sshd and no Node, and an x86 one with systemd
// for the tests that need systemd as PID 1. Built once per machine into /var/cache/mchair-boards/
// (outside the clone), named by a hash of the recipe so a changed recipe builds afresh.
// Usage (root): node scripts/arm-boards.mjs [arm64|armhf|systemd ...]   (no name: all of them)
// prints each root filesystem's folder, one a line, once it is there (binfmt_misc registered).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE = process.env.MCHAIR_BOARDS_CACHE ?? '/var/cache/mchair-boards';

// procps: the agent's service checks and `pkill` in the tests; xz-utils is left out on purpose
// (minbase has none), so the arm boards are boards without xz.
const BOARD_PACKAGES = ['openssh-server', 'procps'];

export const RECIPES = {
  arm64: { arch: 'arm64', machine: 'aarch64', include: BOARD_PACKAGES },
  // Node's armv7l build needs libatomic.so.1, which Raspberry Pi OS has and minbase has not.
  armhf: { arch: 'armhf', machine: 'armv7l', include: [...BOARD_PACKAGES, 'libatomic1'] },
  systemd: {
    arch: 'amd64',
    machine: 'x86_64',
    // sudo: the agent goes in as a system unit (`mchair provision --system-service`).
    include: [...BOARD_PACKAGES, 'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'sudo'],
  },
};

const SUITE = 'bookworm';

/** The Debian archive apt on this machine uses, so a build needs nothing apt could not reach. */
function mirror() {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const m = /(?:URIs:\s*|deb\s+)(https?:\/\/\S+\/debian)\/?\s/m.exec(readFileSync(f, 'utf8'));
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

export function recipeHash(name) {
  const r = RECIPES[name];
  const text = JSON.stringify({ ...r, suite: SUITE, variant: 'minbase', v: 1 });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export function rootfsPath(name) {
  return join(CACHE, `${name}-${recipeHash(name)}`);
}

/** Mounts binfmt_misc and registers Debian's qemu-user-static handlers (F flag: works in chroots). */
export function registerBinfmt() {
  const dir = '/proc/sys/fs/binfmt_misc';
  if (!existsSync(join(dir, 'register')))
    execFileSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
  for (const q of ['qemu-aarch64', 'qemu-arm']) {
    if (existsSync(join(dir, q))) continue;
    const r = spawnSync('update-binfmts', ['--enable', q], { encoding: 'utf8' });
    if (r.status !== 0 && !existsSync(join(dir, q)))
      throw new Error(`could not register ${q} with binfmt_misc: ${r.stderr.trim()}`);
  }
}

/** Builds `name`'s root filesystem unless the cache has it; returns its folder. */
export function ensureRootfs(name, log = (s) => process.stderr.write(`${s}\n`)) {
  const r = RECIPES[name];
  if (!r)
    throw new Error(`no board recipe named ${name}: one of ${Object.keys(RECIPES).join(', ')}`);
  const dest = rootfsPath(name);
  // Every use needs the handlers, not only a build: a reboot of the machine drops them.
  if (r.arch !== 'amd64') registerBinfmt();
  if (existsSync(join(dest, '.built'))) return dest;
  mkdirSync(CACHE, { recursive: true });
  const work = `${dest}.building-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const started = Date.now();
  log(`arm-boards: building ${name} (${r.arch}) into ${dest}`);
  const args = [
    `--arch=${r.arch}`,
    '--variant=minbase',
    `--include=${r.include.join(',')}`,
    SUITE,
    work,
    mirror(),
  ];
  const d = spawnSync('debootstrap', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (d.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`debootstrap ${args.join(' ')} failed:\n${d.stderr}`);
  }
  // The board's own sshd generates no host keys here: each test makes its own.
  execFileSync('sh', [
    '-c',
    `rm -f ${work}/etc/ssh/ssh_host_* && rm -rf ${work}/var/cache/apt/*.bin`,
  ]);
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(join(work, '.built'), `${name} ${r.arch} built in ${seconds} s\n`);
  // Another process may have finished the same recipe meanwhile: keep the first one.
  if (existsSync(dest)) rmSync(work, { recursive: true, force: true });
  else renameSync(work, dest);
  log(`arm-boards: ${name} built in ${seconds} s`);
  return dest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  for (const n of names.length ? names : Object.keys(RECIPES)) console.log(ensureRootfs(n));
}
