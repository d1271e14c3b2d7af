// The Node tarballs boards get, read on the laptop: the app's own (pinned npm packages) and ones a
// user passes, whose bin/node's ELF header says which CPU they are for, whatever their name says.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeDoesNotRun } from '../../../src-main/provision/provision';
import {
  appNodeTarball,
  nodeTarballs,
  readNodeTarball,
} from '../../../src-main/provision/board-node';

/** A small x86-64 program standing for bin/node (only its ELF header is read). */
const TRUE = '/bin/true';

/** A nodejs.org-style tarball `name` whose bin/node is `program`, packed with `tarArgs`. */
function pack(name: string, program: string, tarArgs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'mchair-node-tar-'));
  const top = name.replace(/\.tar\.(gz|xz)$/, '');
  mkdirSync(join(dir, top, 'bin'), { recursive: true });
  writeFileSync(join(dir, top, 'README.md'), 'x'.repeat(5000));
  copyFileSync(program, join(dir, top, 'bin', 'node'));
  const z = name.endsWith('.xz') ? '-J' : '-z';
  execFileSync('tar', ['-C', dir, ...tarArgs, z, '-cf', join(dir, name), top]);
  return join(dir, name);
}

describe("the boards' Node", () => {
  it("the app carries arm64, armv7l and x64 Node, and each one's ELF header agrees", async () => {
    const expected = { arm64: '20.20.2', arm: '20.11.0', x64: '20.20.2' };
    for (const [arch, version] of Object.entries(expected)) {
      const own = appNodeTarball(arch)!;
      expect(own.version).toBe(version);
      const t = await readNodeTarball(own.file, 'app');
      expect(t).toMatchObject({ arch, version, compression: 'gzip', source: 'app' });
      expect(t.nodeBytes).toBeGreaterThan(50e6);
    }
    expect(appNodeTarball('riscv64')).toBeNull();
  });

  it("reads a user's tarball by its content, not its name (gzip, xz, pax long names)", async () => {
    // An x86-64 program in a tarball named for arm64: the header says x64.
    const lying = pack('node-v20.20.2-linux-arm64.tar.gz', TRUE);
    expect(await readNodeTarball(lying, 'given')).toMatchObject({
      arch: 'x64',
      version: '20.20.2',
      compression: 'gzip',
    });
    const xz = pack('node-v16.20.2-linux-x64.tar.xz', TRUE, ['--format=pax']);
    expect(await readNodeTarball(xz, 'given')).toMatchObject({ arch: 'x64', compression: 'xz' });
    const long = `node-v18.0.0-linux-x64-${'a'.repeat(120)}.tar.gz`;
    expect((await readNodeTarball(pack(long, TRUE, ['--format=pax']), 'given')).version).toBe(
      '18.0.0',
    );
  });

  it('refuses what is not a Node tarball, in one line that says what to pass', async () => {
    await expect(readNodeTarball('/tmp/node.zip', 'given')).rejects.toThrow(
      /is not a Node tarball \(\.tar\.xz, \.tar\.gz or \.tgz\)/,
    );
    const script = pack('node-v20.0.0-linux-x64.tar.gz', '/etc/os-release');
    await expect(readNodeTarball(script, 'given')).rejects.toThrow(/is not a Linux program/);
    await expect(readNodeTarball('/nonexistent/node.tgz', 'given')).rejects.toThrow(
      /does not exist; check the --node-tarball path/,
    );
  });

  it('one tarball per CPU; a board of another CPU is not given a different Node silently', async () => {
    const a = pack('node-v20.1.0-linux-x64.tar.gz', TRUE);
    const b = pack('node-v20.2.0-linux-x64.tar.gz', TRUE);
    await expect(nodeTarballs([a, b])).rejects.toThrow(/are both for x64 boards/);
    const nodes = await nodeTarballs([a]);
    expect((await nodes('x64'))?.file).toBe(a);
    await expect(nodes('arm64')).rejects.toThrow(
      `${a} is for x64, not for this arm64 board: pass a Node tarball for arm64 too`,
    );
    // Without tarballs from the user, every CPU the app carries gets the app's.
    const own = await nodeTarballs([]);
    expect(await own('arm')).toMatchObject({ source: 'app', version: '20.11.0' });
    expect(await own('riscv64')).toBeNull();
  });

  it('a Node the board cannot start names the library to install', () => {
    // What the armv7l build printed on a Debian minbase armhf board without libatomic1.
    const e = nodeDoesNotRun(
      'pi3-32',
      '20.11.0',
      'node.new/bin/node: error while loading shared libraries: libatomic.so.1: cannot open shared object file: No such file or directory\n',
    );
    expect(e.code).toBe('NODE_DOES_NOT_RUN');
    expect(e.message).toBe(
      'Node 20.11.0 does not run on pi3-32: it needs libatomic.so.1, which the board lacks; install it (`sudo apt install libatomic1`) and provision again',
    );
    expect(nodeDoesNotRun('b', '20.1.0', 'Illegal instruction\n').message).toBe(
      'Node 20.1.0 does not run on b (Illegal instruction); install Node on the board yourself and provision again',
    );
  });
});
