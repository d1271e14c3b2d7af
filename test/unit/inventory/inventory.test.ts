// The inventory file: validation, add/remove, atomic saves, and no secret ever in it.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../src-main/inventory/inventory';

const dir = () => mkdtempSync(join(tmpdir(), 'mchair-inv-'));

describe('Inventory', () => {
  it('starts empty, saves atomically with mode 600, and loads what it saved', async () => {
    const path = join(dir(), 'sub', 'inventory.json');
    expect((await Inventory.load(path)).list()).toEqual([]);
    await Inventory.edit(path, (inv) => {
      inv.add({ name: 'pi-03', host: '10.0.0.3', user: 'pi', auth: { type: 'password' } });
      inv.add({
        name: 'tx2',
        host: 'tx2.lab',
        user: 'nvidia',
        port: 2222,
        auth: { type: 'key', file: '/k' },
      });
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(path, '..'))).toEqual(['inventory.json']);
    const again = await Inventory.load(path);
    expect(again.list().map((d) => [d.name, d.port, d.agentPort])).toEqual([
      ['pi-03', 22, 7700],
      ['tx2', 2222, 7700],
    ]);
    expect(readFileSync(path, 'utf8')).not.toMatch(/"password"\s*:\s*"/);
  });

  it('refuses duplicates, unknown names and bad fields with a sentence naming them', async () => {
    const inv = await Inventory.load(join(dir(), 'inventory.json'));
    inv.add({ name: 'a', host: 'h', user: 'u' });
    expect(() => inv.add({ name: 'a', host: 'h2', user: 'u' })).toThrow(/already exists/);
    expect(() => inv.get('b')).toThrow(/no device named "b"/);
    expect(() => inv.add({ name: 'c', host: 'h; rm -rf /', user: 'u' })).toThrow(/device.host/);
    expect(() => inv.add({ name: 'c', host: 'h', user: 'u$(id)' })).toThrow(/device.user/);
    expect(() => inv.add({ name: 'c', host: '-oProxyCommand=x', user: 'u' })).toThrow(/host/);
    expect(inv.remove('a').host).toBe('h');
    expect(inv.select([])).toEqual([]);
  });

  it('an inventory with a secret in it is refused, not silently kept', async () => {
    const path = join(dir(), 'inventory.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        devices: [{ name: 'a', host: 'h', user: 'u', auth: { type: 'password', password: 'x' } }],
      }),
    );
    await expect(Inventory.load(path)).rejects.toThrow(/auth/);
  });

  it('names the file and the field of a malformed inventory', async () => {
    const path = join(dir(), 'inventory.json');
    writeFileSync(
      path,
      JSON.stringify({ version: 1, devices: [{ name: 'a', host: 'h', user: 'u', port: 70000 }] }),
    );
    await expect(Inventory.load(path)).rejects.toThrow(
      /\/inventory\.json, an inventory: device 1 \(a\): "port" \(70000\) /,
    );
    writeFileSync(path, '{');
    await expect(Inventory.load(path)).rejects.toThrow(/not JSON/);
  });
});
