// A mixed lab as labs have it: an x86 board, a 64-bit arm board and a 32-bit one (armhf, the base
// of 32-bit Raspberry Pi OS), each in its own network namespace with its own sshd; the arm ones
// are Debian root filesystems of their own architecture under qemu-user, without Node and
// without xz. The probe tells them apart, one `mchair provision` gives each the Node and the
// onnxruntime it can run (native on arm64, WebAssembly on armhf), and a run of alexnet-mc across
// the three, checked frame by frame against the whole model, finds no mismatch.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src-main/contract/plan';
import { DeviceProvisionResult } from '../../src-main/contract/provision';
import { runMchair, type CliResult } from '../integration/cli/run-mchair';
import { addBoardArgs } from '../integration/provision/addBoard';
import { pipelineStages } from '../integration/provision/pipeline';
import { createLab, startBoard, tempDir, type Board, type Lab } from '../integration/ssh/sshd';
import { startEmulatedBoard, type EmulatedBoard } from './emulated';

let dir: string;
let dataDir: string;
let lab: Lab;
let x86: Board;
let arm64: EmulatedBoard;
let armhf: EmulatedBoard;

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', dataDir, ...args);

beforeAll(async () => {
  dir = tempDir('mchair-arm-boards');
  dataDir = join(dir, 'data');
  lab = createLab(3);
  const [nx86, n64, n32] = lab.boards as [Lab['boards'][0], Lab['boards'][0], Lab['boards'][0]];
  [x86, arm64, armhf] = await Promise.all([
    startBoard(dir, { userPrefix: 'mcx', sshd: { host: nx86.boardAddress, netns: nx86.name } }),
    startEmulatedBoard('arm64', n64),
    startEmulatedBoard('armhf', n32),
  ]);
  for (const added of [
    await mchair(...(await addBoardArgs('x86', x86))),
    // As a lab adds its Pis: the board type chosen.
    await mchair(
      ...(await addBoardArgs('pi4-64', arm64, '--profile', 'pi4', '--agent-port', '7700')),
    ),
    await mchair(
      ...(await addBoardArgs('pi3-32', armhf, '--profile', 'pi3', '--agent-port', '7700')),
    ),
  ])
    expect(added.code, added.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  await Promise.all([x86?.stop(), arm64?.stop(), armhf?.stop()]);
  lab?.remove();
});

describe('emulated arm boards', () => {
  it('the probe tells aarch64 from armv7l, with glibc, xz, and the Node and runtime each gets', async () => {
    const r = await mchair('devices', 'probe', 'pi4-64', 'pi3-32', '--accept-new', '--json');
    expect(r.code, r.stderr).toBe(0);
    const [a64, a32] = JSON.parse(r.stdout).devices;
    expect(a64.probe).toMatchObject({
      machine: 'aarch64',
      arch: 'arm64',
      glibc: '2.36',
      nodeVersion: null,
      xz: false,
      emulated: true,
      os: { id: 'debian', versionId: '12' },
    });
    expect(a64.verdict.notes.join(' ')).toMatch(/emulated by qemu-user .* not the board's speed/);
    expect(a64.verdict).toMatchObject({
      runtime: 'native',
      node: { action: 'push', tarball: { arch: 'arm64', version: '20.20.2', source: 'app' } },
      problem: null,
    });
    expect(a32.probe).toMatchObject({ machine: 'armv7l', arch: 'arm', glibc: '2.36', xz: false });
    expect(a32.verdict).toMatchObject({
      runtime: 'wasm',
      node: { action: 'push', tarball: { arch: 'arm', version: '20.11.0', compression: 'gzip' } },
      problem: null,
    });
    expect(a32.verdict.notes.join(' ')).toMatch(/32-bit OS: .*WebAssembly/);
    // The text a user reads says the same.
    const text = await mchair('devices', 'probe', 'pi3-32');
    expect(text.stdout).toMatch(/cpu {6}arm, /);
    expect(text.stdout).toMatch(/glibc {4}2\.36, node not installed, systemd no, xz no/);
    expect(text.stdout).toMatch(/runtime wasm/);
  });

  it('one provision gives each board its Node and onnxruntime, the bytes counted', async () => {
    const r = await mchair('provision', '--all', '--accept-new', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const results = (JSON.parse(r.stdout).devices as unknown[]).map((d) =>
      DeviceProvisionResult.parse(d),
    );
    const [rx86, r64, r32] = results;
    expect(rx86).toMatchObject({ status: 'ok', runtime: 'native', nodeBytesUploaded: 0 });
    expect(r64).toMatchObject({ status: 'ok', runtime: 'native', profile: 'pi4' });
    expect(r32).toMatchObject({ status: 'ok', runtime: 'wasm', profile: 'pi3' });
    // The npm packages' tarballs: 42.6 and 37.2 MB.
    expect(r64!.nodeBytesUploaded).toBe(42_648_346);
    expect(r32!.nodeBytesUploaded).toBe(37_201_197);
    // The agent runs on the board's own architecture, with the Node it was given.
    const argOf = (b: EmulatedBoard): string =>
      b.run(
        `su pi -c '/home/pi/.mchair-agent/node/bin/node -p "process.arch + \\" \\" + process.version"'`,
      );
    expect(argOf(arm64).trim()).toBe('arm64 v20.20.2');
    expect(argOf(armhf).trim()).toBe('arm v20.11.0');
    const onnx = (b: EmulatedBoard): string =>
      b.run('ls /home/pi/.mchair-agent/node_modules').split('\n').sort().join(' ').trim();
    expect(onnx(arm64)).toBe('onnxruntime-common onnxruntime-node');
    expect(onnx(armhf)).toBe('onnxruntime-common onnxruntime-web');
    // Only arm64 binaries went to the arm64 board.
    expect(
      arm64.run('ls /home/pi/.mchair-agent/node_modules/onnxruntime-node/bin/napi-v6/linux'),
    ).toBe('arm64\n');
  });

  it('alexnet-mc across the x86, arm64 and armhf boards checks with no mismatch', async () => {
    // A pipeline: the convolutions on the x86 board, fc1 (native) on arm64, the rest (WebAssembly)
    // on armhf.
    const farmFile = join(dir, 'farm.json');
    writeFileSync(
      farmFile,
      JSON.stringify({
        devices: [
          { id: 'x86', profile: 'x86-laptop' },
          { id: 'pi4-64', profile: 'pi4' },
          { id: 'pi3-32', profile: 'pi3' },
        ],
      }),
    );
    const planned = await mchair('plan', '--model', 'alexnet-mc', '--farm', farmFile, '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as Plan;
    plan.stages = pipelineStages([
      ['x86', 'preprocess.cast', 'flatten', 'input', 'flat'],
      ['pi4-64', 'fc1', 'fc1.relu', 'flat', 'fc1'],
      ['pi3-32', 'fc2', 'softmax', 'fc1', 'probs'],
    ]);
    const planFile = join(dir, 'three-boards.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const r = await mchair(
      'run',
      '--model',
      'alexnet-mc',
      '--devices',
      'x86,pi4-64,pi3-32',
      '--plan',
      planFile,
      '--frames',
      '4',
      '--check',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      state: 'done',
      frames: { sent: 4, completed: 4, lost: 0, mismatched: 0 },
    });
    // The parts really went to the arm boards (a re-plan on a loaded machine may add others).
    const manifest = JSON.parse(
      readFileSync(join(dataDir, 'runs', report.runId, 'manifest.json'), 'utf8'),
    ) as { stages: Array<{ parts: Array<{ sha256: string }> }> };
    const sha = (stage: number): string => manifest.stages[stage]!.parts[0]!.sha256;
    expect(arm64.run('ls /home/pi/.mchair-agent/parts').split('\n')).toContain(`${sha(1)}.onnx`);
    expect(armhf.run('ls /home/pi/.mchair-agent/parts').split('\n')).toContain(`${sha(2)}.onnx`);
  });

  it('a profile measured on an emulated board is labelled emulated, never a Pi 4 speed', async () => {
    const out = join(dir, 'measured.json');
    const r = await mchair(
      'profile',
      '--devices',
      'pi4-64',
      '--frames',
      '2',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const [board] = JSON.parse(r.stdout).devices;
    expect(board.profile.basis).toBe('emulated');
    expect(board.profile.name).toMatch(/under qemu \(not its speed\)$/);
    expect(board.profile.calibration).toMatch(/under qemu-user CPU emulation/);
    const p = await mchair('plan', '--model', 'alexnet-mc', '--farm', out, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).prediction.basis).toBe('emulated');
  });
});
