// The probe's parser and verdicts on outputs of real boards (Pi 3 on 32-bit Raspberry Pi OS,
// Pi 4 on 64-bit, Jetson TX2 on L4T R32) and on the script's own output run by a local shell.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge, parseProbe, probeScript, splitSections } from '../../../src-main/provision/probe';

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
    const v = judge(p, { nodeTarball: false });
    expect(v.profile).toBe('pi3');
    expect(v.runtime).toBe('wasm');
    expect(v.notes.join(' ')).toMatch(/32-bit OS.*WebAssembly/);
    expect(v.problem?.code).toBe('NO_NODE');
    expect(v.problem?.message).toContain('node-v20.x-linux-armv7l.tar.xz');
    expect(judge(p, { nodeTarball: true })).toMatchObject({
      node: { action: 'push' },
      problem: null,
    });
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
    const v = judge(p, { nodeTarball: false });
    expect(v).toMatchObject({
      profile: 'pi4',
      runtime: 'native',
      nodeMajor: 18,
      node: { action: 'use', path: '/usr/bin/node' },
      notes: [],
      problem: null,
    });
    // A profile set by hand wins over the probe's guess.
    expect(judge(p, { profile: 'pi4-overclocked', nodeTarball: false }).profile).toBe(
      'pi4-overclocked',
    );
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
    const v = judge(p, { nodeTarball: false });
    expect(v).toMatchObject({
      profile: 'tx2',
      runtime: 'wasm',
      nodeMajor: 16,
      node: { action: 'missing' },
    });
    expect(v.notes[0]).toMatch(/glibc 2\.27 is older than 2\.28 \(L4T R32\.5\.1\)/);
    expect(v.problem?.message).toMatch(
      /Node v?8\.10\.0 cannot run the agent.*Node 16.*node-v16\.20\.2-linux-arm64\.tar\.xz/,
    );
    // A board's Node 20 is no good on glibc 2.27 either: it would not load.
    expect(
      judge({ ...p, nodeVersion: '20.1.0', nodePath: '/opt/node' }, { nodeTarball: false }).node
        .action,
    ).toBe('missing');
    expect(
      judge({ ...p, nodeVersion: '16.20.2', nodePath: '/opt/node' }, { nodeTarball: false }).node,
    ).toEqual({ action: 'use', path: '/opt/node' });
  });

  it('refuses architectures the agent cannot run on', () => {
    const p = { ...fixture('pi4-raspios-arm64'), machine: 'mips', arch: 'mips' };
    expect(judge(p, { nodeTarball: true }).problem?.code).toBe('UNSUPPORTED_ARCH');
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
