// The virtual farm through the CLI: `farm up` starts emulated agents that outlive the command,
// `run --farm` runs a paper preset on them with --check, `farm status` pings them, `farm down`
// stops every process it started.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBundles, type Bundles } from './bundles';

let home: string;
let bundles: Bundles;
const cli = (...args: string[]) => bundles.cli(home, ...args);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mchair-farm-cli-'));
  bundles = await snapshotBundles();
});
afterAll(async () => {
  // Leave no agent behind even when a test failed half-way.
  await cli('farm', 'down').catch(() => undefined);
  await rm(home, { recursive: true, force: true });
  await bundles.remove();
});

describe('mchair farm', () => {
  it('up, status, run a paper preset on it with --check, down', async () => {
    const up = JSON.parse((await cli('farm', 'up', '--emulate', 'pi3:5', '--json')).stdout) as {
      farmFile: string;
      devices: { id: string; profile: string; host: string; port: number; pid: number }[];
    };
    expect(up.devices.map((d) => d.id)).toEqual(['pi3-1', 'pi3-2', 'pi3-3', 'pi3-4', 'pi3-5']);
    expect(
      up.devices.every((d) => d.profile === 'pi3' && d.host === '127.0.0.1' && alive(d.pid)),
    ).toBe(true);
    // A second farm in the same data folder is refused while the first is up.
    await expect(cli('farm', 'up', '--emulate', 'pi3:2')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already up/),
    });

    const status = JSON.parse((await cli('farm', 'status', '--json')).stdout) as {
      emulated: boolean;
      devices: { alive: boolean }[];
    };
    expect(status.emulated).toBe(true);
    expect(status.devices.every((d) => d.alive)).toBe(true);

    const run = JSON.parse(
      (
        await cli(
          'run',
          '--model',
          'alexnet-mc',
          '--farm',
          up.farmFile,
          '--plan',
          'paper-5',
          '--frames',
          '30',
          '--check',
          '--json',
        )
      ).stdout,
    ) as {
      ips: number;
      predictedIps: number;
      frames: Record<string, number>;
      devices: { id: string; emulated: boolean; utilisation: number }[];
      emulated: boolean;
      latencyMs: { p50: number; p95: number; p99: number };
    };
    expect(run.frames).toEqual({ sent: 30, completed: 30, lost: 0, duplicated: 0, mismatched: 0 });
    expect(run.emulated).toBe(true);
    expect(run.devices.every((d) => d.emulated)).toBe(true);
    // The emulated Pi 3 farm runs at the pace of its profiles (paper: 4.3 IPS for 5 Pis), not at
    // this machine's: hold times and the shared Wi-Fi are honoured.
    expect(run.ips).toBeGreaterThan(2.5);
    expect(run.ips).toBeLessThan(6);
    expect(run.latencyMs.p50).toBeGreaterThan(500);

    const down = JSON.parse((await cli('farm', 'down', '--json')).stdout) as { stopped: number };
    expect(down.stopped).toBe(6); // 5 agents and the Wi-Fi's airtime service
    expect(up.devices.some((d) => alive(d.pid))).toBe(false);
    expect(existsSync(up.farmFile)).toBe(false);
    await expect(cli('farm', 'status')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no virtual farm is up/),
    });
  });

  it('refuses wrong usage with exit 2 and a bad spec with exit 1', async () => {
    await expect(cli('farm', 'up', '--emulate', 'z80:2')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/unknown device profile "z80"/),
    });
    await expect(cli('farm', 'sideways')).rejects.toMatchObject({ code: 2 });
  });
});
