// The probe's parser and verdicts on outputs of real boards (Pi 3 on 32-bit Raspberry Pi OS,
// Pi 4 on 64-bit, Jetson TX2 on L4T R32) and on the script's own output run by a local shell.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NodeTarball } from '../../../src-main/provision/board-node';
import { judge, parseProbe, probeScript, splitSections } from '../../../src-main/provision/probe';

/** A Node tarball the laptop holds for the board's CPU (the app's own unless said). */
const tarball = (arch: string, more: Partial<NodeTarball> = {}): NodeTarball => ({
  file: `/app/node-linux-${arch}.tgz`,
  arch,
  version: '20.20.2',
  compression: 'gzip',
  nodeBytes: 98_875_896,
  source: 'app',
  ...more,
});

const fixture = (name: string) =>
  parseProbe(readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8'));

describe('probe parsing', () => {
  it('Pi 3 on 32-bit Raspberry Pi OS: WebAssembly backend, no Node yet', () => {
    const p = fixture('pi3-raspios-armhf');
    expect(p).toMatchObject({
      machine: 'armv7l',
      arch: 'arm',
      cpuModel: 'Cortex-A53',
      cores: 4,
      memTotalBytes: 948280 * 1024,
      diskFreeBytes: 24699048 * 1024,
      os: { id: 'raspbian', versionId: '11', prettyName: 'Raspbian GNU/Linux 11 (bullseye)' },
      glibc: '2.31',
      nodeVersion: null,
      board: 'Raspberry Pi 3 Model B Rev 1.2',
      tegraRelease: null,
      systemdUser: true,
      sudo: true,
      home: '/home/pi',
    });
    const v = judge(p, { tarball: null });
    expect(v.profile).toBe('pi3');
    expect(v.runtime).toBe('wasm');
    expect(v.notes.join(' ')).toMatch(/32-bit OS.*WebAssembly/);
    expect(v.problem?.code).toBe('NO_NODE');
    expect(v.problem?.message).toContain('node-v20.x-linux-armv7l.tar.xz');
    const app = tarball('arm', { version: '20.11.0' });
    const pushed = judge(p, { tarball: app });
    expect(pushed).toMatchObject({ node: { action: 'push', tarball: app }, problem: null });
    expect(pushed.notes).toContain(
      "no Node.js found: the app's Node 20.11.0 (linux-armv7l) is installed for the agent",
    );
  });

  it("Pi 4 on 64-bit Raspberry Pi OS: native onnxruntime with the board's Node", () => {
    const p = fixture('pi4-raspios-arm64');
    expect(p).toMatchObject({
      arch: 'arm64',
      cpuModel: 'Cortex-A72',
      glibc: '2.36',
      nodeVersion: '20.19.5',
      nodePath: '/usr/bin/node',
      sudo: false,
    });
    const v = judge(p, { tarball: tarball('arm64') });
    expect(v).toMatchObject({
      profile: 'pi4',
      runtime: 'native',
      nodeMajor: 18,
      node: { action: 'use', path: '/usr/bin/node' },
      notes: [],
      problem: null,
    });
    // A profile set by hand wins over the probe's guess.
    expect(judge(p, { profile: 'pi4-overclocked', tarball: null }).profile).toBe('pi4-overclocked');
  });

  it('Jetson TX2 on L4T R32 (glibc 2.27): Node 16 and WebAssembly', () => {
    const p = fixture('tx2-l4t-r32');
    expect(p).toMatchObject({
      arch: 'arm64',
      cpuModel: 'Cortex-A57 + Denver 2',
      cores: 6,
      glibc: '2.27',
      nodeVersion: '8.10.0',
      board: 'NVIDIA Jetson TX2',
      tegraRelease: 'R32.5.1',
      os: { versionId: '18.04' },
    });
    const v = judge(p, { tarball: tarball('arm64') });
    expect(v).toMatchObject({
      profile: 'tx2',
      runtime: 'wasm',
      nodeMajor: 16,
      node: { action: 'missing' },
    });
    // The app's Node 20 would not load on glibc 2.27: the board is told what would.
    expect(v.problem?.message).toContain("(the app's Node 20.20.2 is not Node 16)");
    expect(v.notes[0]).toMatch(/glibc 2\.27 is older than 2\.28 \(L4T R32\.5\.1\)/);
    expect(v.problem?.message).toMatch(
      /Node v?8\.10\.0 cannot run the agent.*Node 16.*node-v16\.20\.2-linux-arm64\.tar\.xz/,
    );
    // A board's Node 20 is no good on glibc 2.27 either: it would not load.
    expect(
      judge({ ...p, nodeVersion: '20.1.0', nodePath: '/opt/node' }, { tarball: null }).node.action,
    ).toBe('missing');
    expect(
      judge({ ...p, nodeVersion: '16.20.2', nodePath: '/opt/node' }, { tarball: null }).node,
    ).toEqual({ action: 'use', path: '/opt/node' });
  });

  it('a Node 16 tarball the user gives for a TX2 is pushed', () => {
    const v = judge(
      { ...fixture('tx2-l4t-r32'), xz: true },
      {
        tarball: tarball('arm64', { version: '16.20.2', source: 'given', compression: 'xz' }),
      },
    );
    // L4T has xz: an .xz tarball is fine.
    expect(v.node.action).toBe('push');
    expect(v.problem).toBeNull();
  });

  it('a board without xz is not sent a .tar.xz, and is told what to pass instead', () => {
    const p = { ...fixture('pi4-raspios-arm64'), nodeVersion: null, nodePath: null, xz: false };
    const v = judge(p, { tarball: tarball('arm64', { source: 'given', compression: 'xz' }) });
    expect(v.node.action).toBe('missing');
    expect(v.problem?.code).toBe('NO_XZ');
    expect(v.problem?.message).toMatch(/no xz to unpack .*pass the \.tar\.gz/);
    // The app's own Node is gzip: every board unpacks it.
    expect(judge(p, { tarball: tarball('arm64') }).node.action).toBe('push');
  });

  it('says what a board of a CPU the app carries no Node for would need', () => {
    const base = { ...fixture('pi4-raspios-arm64'), nodeVersion: null, nodePath: null };
    const riscv = judge({ ...base, machine: 'riscv64', arch: 'riscv64' }, { tarball: null });
    expect(riscv.problem?.code).toBe('UNSUPPORTED_ARCH');
    expect(riscv.problem?.message).toBe(
      'the board has no Node.js, and the app carries Node for arm64, armv7l and x86_64 only, not riscv64: install Node 18 or newer built for riscv64 on it (unofficial-builds.nodejs.org has some), then provision again; it will use the WebAssembly backend',
    );
    // A Pi Zero / Pi 1 is "arm" to Node, but the app's armv7l Node does not run on ARMv6.
    const zero = judge({ ...base, machine: 'armv6l', arch: 'arm' }, { tarball: tarball('arm') });
    expect(zero.problem?.message).toMatch(/not armv6l \(Pi Zero \/ Pi 1\): install Node 18/);
    // With a Node of its own, such a board runs the WebAssembly backend.
    const own = judge(
      { ...base, machine: 'riscv64', arch: 'riscv64', nodeVersion: '20.5.0', nodePath: '/n' },
      { tarball: null },
    );
    expect(own).toMatchObject({ runtime: 'wasm', problem: null, node: { action: 'use' } });
  });

  it('glibc too old for native onnxruntime: WebAssembly, with the reason shown', () => {
    const p = { ...fixture('pi4-raspios-arm64'), glibc: '2.27' };
    const v = judge(p, { tarball: null });
    expect(v.runtime).toBe('wasm');
    expect(v.notes[0]).toMatch(/^glibc 2\.27 is older than 2\.28: .*WebAssembly backend/);
  });

  it('the script itself runs in a POSIX shell and parses into this machine', () => {
    const out = execFileSync('sh', ['-c', probeScript("no such dir 'quoted' $(x)")], {
      encoding: 'utf8',
    });
    const p = parseProbe(out);
    expect(p.arch).toBe(process.arch);
    expect(p.cores).toBeGreaterThan(0);
    expect(p.memTotalBytes).toBeGreaterThan(0);
    expect(p.nodeVersion).toBe(process.versions.node);
    expect(p.glibc).toMatch(/^2\.\d+$/);
  });

  it('finds a Node unpacked in the agent folder, by absolute path, before the one on PATH', () => {
    const home = mkdtempSync(join(tmpdir(), 'mchair-probe-'));
    const agentDir = "agent dir 'q'";
    mkdirSync(join(home, agentDir, 'node', 'bin'), { recursive: true });
    symlinkSync(process.execPath, join(home, agentDir, 'node', 'bin', 'node'));
    const out = execFileSync('sh', ['-c', probeScript(agentDir)], { encoding: 'utf8', cwd: home });
    expect(parseProbe(out).nodePath).toBe(join(home, agentDir, 'node', 'bin', 'node'));
    expect(splitSections(out).has('sudo')).toBe(false);
    expect(
      splitSections(
        execFileSync('sh', ['-c', probeScript(agentDir, { sudo: true })], { encoding: 'utf8' }),
      ).has('sudo'),
    ).toBe(true);
  });
});
