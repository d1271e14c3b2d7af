// `mchair power read` as users run it: one JSON document on stdout, or one line on stderr.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startKasaSim } from '../../sim/kasa-sim';
import { startScpiTcpSim } from '../../sim/scpi-sim';

const run = promisify(execFile);
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function mchair(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/mchair.js', ...args], {
      env: { ...process.env, MCHAIR_HOME: tmpdir() },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('mchair power read', () => {
  it('prints samples, average, min, max, energy and duration', async () => {
    // 100 W for the first half second of readings, then 200 W (timed from the first reading, as
    // the CLI takes a while to start on a busy machine).
    let first: number | undefined;
    const sim = await startScpiTcpSim('wt300', {
      watts: (t) => ((first ??= t), t - first < 0.5 ? 100 : 200),
    });
    closers.push(sim.close);
    const r = await mchair(
      'power',
      'read',
      '--meter',
      `scpi+wt300://127.0.0.1:${sim.port}`,
      '--seconds',
      '1.2',
      '--interval',
      '0.1',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(
      [
        'avgW',
        'durationS',
        'emulated',
        'energyJ',
        'intervalMs',
        'maxW',
        'meter',
        'minW',
        'samples',
      ].sort(),
    );
    // The samples cover the seconds asked, within one interval.
    expect(doc.intervalMs).toBe(100);
    expect(Math.abs(doc.durationS - 1.2)).toBeLessThanOrEqual(0.1);
    expect(doc.samples).toBeGreaterThanOrEqual(8);
    expect(doc.minW).toBe(100);
    expect(doc.maxW).toBe(200);
    expect(doc.avgW).toBeGreaterThan(100);
    expect(doc.avgW).toBeLessThan(200);
    expect(doc.energyJ).toBeCloseTo(doc.avgW * doc.durationS, 9);
  });

  it('reads a CSV log whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mchair-csv-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'log.csv'), 'time,volts,amps\n0,5,1\n1,5,1.2\n2,5,1.4\n');
    const r = await mchair('power', 'read', '--meter', `csv://${join(dir, 'log.csv')}`, '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      samples: 3,
      minW: 5,
      maxW: 7,
      durationS: 2,
      energyJ: 12,
    });
  });

  it('fails in one line on garbage, unknown schemes and bad flags', async () => {
    const sim = await startKasaSim(2, {
      watts: () => 1,
      garble: () => '{"emeter":{"get_realtime":{"power_mw":"NaN","err_code":0}}}',
    });
    closers.push(sim.close);
    const garbage = await mchair(
      'power',
      'read',
      '--meter',
      `kasa://127.0.0.1:${sim.port}`,
      '--seconds',
      '1',
      '--json',
    );
    expect(garbage).toMatchObject({ code: 1, stdout: '' });
    expect(garbage.stderr).toBe(
      `mchair: kasa@127.0.0.1:${sim.port}: watts is NaN (no data or over-range: check the range and wiring) [METER_GARBAGE]\n`,
    );
    const scheme = await mchair('power', 'read', '--meter', 'modbus://h');
    expect(scheme.code).toBe(1);
    expect(scheme.stderr.trim().split('\n').pop()).toMatch(
      /^mchair: meter "modbus:\/\/h": unknown scheme "modbus"/,
    );
    const flag = await mchair(
      'power',
      'read',
      '--meter',
      'kasa://h',
      '--seconds',
      'soon',
      '--json',
    );
    expect(flag).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mchair: --seconds: /) });
    expect(flag.stderr.split('\n')).toHaveLength(2);
    expect((await mchair('power', 'read')).code).toBe(2);
  });
});

describe('mchair power read, stopped early', () => {
  it('summarises what it read and releases the instrument on Ctrl-C', async () => {
    const sim = await startScpiTcpSim('wt300', { watts: () => 42 });
    closers.push(sim.close);
    const child = spawn(
      process.execPath,
      [
        'bin/mchair.js',
        'power',
        'read',
        '--meter',
        `scpi+wt300://127.0.0.1:${sim.port}`,
        '--seconds',
        '600',
        '--interval',
        '0.1',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (sim.clock.reads < 5) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.samples).toBeGreaterThanOrEqual(5);
    expect(doc.avgW).toBeCloseTo(42, 9);
    expect(sim.commands[sim.commands.length - 1]).toBe(':COMM:REM OFF');
  });
});
