// `mchair devices add/list/remove/import` as a user runs them: --inventory files, one JSON
// document under --json, one line on stderr and exit 1 for a user error, exit 2 for bad usage.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'bin', 'mchair.js');
const dir = mkdtempSync(join(tmpdir(), 'mchair-devcli-'));
const inventory = join(dir, 'my lab.json');

function mchair(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', join(dir, 'data'), ...args], {
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('mchair devices', () => {
  it('adds, lists and removes devices in the named inventory file', () => {
    expect(
      mchair(
        'devices',
        'add',
        'pi-01',
        '--inventory',
        inventory,
        '--host',
        '10.0.0.1',
        '--user',
        'pi',
        '--key',
        'keys/lab',
      ).code,
    ).toBe(0);
    expect(
      mchair(
        'devices',
        'add',
        'pi-02',
        '--inventory',
        inventory,
        '--host',
        '10.0.0.2',
        '--user',
        'pi',
        '--password',
        '--profile',
        'pi3',
      ).code,
    ).toBe(0);
    const list = mchair('devices', 'list', '--inventory', inventory, '--json');
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(list.stdout) as {
      devices: Array<{ name: string; auth: { type: string; file?: string } }>;
    };
    expect(doc.devices.map((d) => d.name)).toEqual(['pi-01', 'pi-02']);
    expect(doc.devices[0]!.auth).toEqual({ type: 'key', file: join(process.cwd(), 'keys/lab') });
    expect(doc.devices[1]!.auth).toEqual({ type: 'password' });
    expect(mchair('devices', 'list', '--inventory', inventory).stdout).toMatch(
      /^NAME\s+LOGIN\s+AUTH/,
    );
    expect(mchair('devices', 'remove', 'pi-01', '--inventory', inventory).code).toBe(0);
    expect(
      JSON.parse(mchair('devices', 'list', '--inventory', inventory, '--json').stdout).devices,
    ).toHaveLength(1);
    // The data folder's own inventory was never touched.
    expect(JSON.parse(mchair('devices', 'list', '--json').stdout).devices).toEqual([]);
  });

  it('user errors are one line and exit 1; bad usage exits 2', () => {
    const dup = mchair(
      'devices',
      'add',
      'pi-02',
      '--inventory',
      inventory,
      '--host',
      'h',
      '--user',
      'u',
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toContain('[DEVICE_EXISTS]');
    const bad = mchair(
      'devices',
      'add',
      'x',
      '--inventory',
      inventory,
      '--host',
      'h;reboot',
      '--user',
      'u',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/device\.host/);
    expect(mchair('devices', 'add', 'x', '--inventory', inventory, '--user', 'u').code).toBe(2);
    expect(mchair('devices', 'frobnicate').code).toBe(2);
  });

  it('imports CSV and ssh config files; a bad row leaves the inventory as it was', () => {
    const csv = join(dir, 'boards.csv');
    writeFileSync(
      csv,
      'name,host,user,port,profile\ntx2-a,10.0.1.5,nvidia,22,tx2\npi-03,10.0.1.6,pi,2222,\n',
    );
    expect(mchair('devices', 'import', csv, '--inventory', inventory).code).toBe(0);
    const config = join(dir, 'ssh_config');
    writeFileSync(
      config,
      'Host gw\n  HostName gw.lab\n  User admin\nHost pi-04\n  HostName 10.0.1.7\n  User pi\n  ProxyJump gw\n',
    );
    expect(mchair('devices', 'import', config, '--inventory', inventory).code).toBe(0);
    const names = () =>
      (
        JSON.parse(mchair('devices', 'list', '--inventory', inventory, '--json').stdout)
          .devices as Array<{ name: string }>
      ).map((d) => d.name);
    expect(names()).toEqual(['pi-02', 'tx2-a', 'pi-03', 'gw', 'pi-04']);
    const before = readFileSync(inventory, 'utf8');
    writeFileSync(csv, 'name,host,user\nnew-1,10.0.2.1,pi\nnew-2,bad host,pi\n');
    const r = mchair('devices', 'import', csv, '--inventory', inventory);
    expect(r.code).toBe(1);
    expect(readFileSync(inventory, 'utf8')).toBe(before);
  });
});
