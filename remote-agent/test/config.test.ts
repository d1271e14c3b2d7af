import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mchair-agent-config-'));
  await writeFile(
    join(dir, 'agent.json'),
    JSON.stringify({
      id: 'pi3-1',
      port: 7071,
      partsDir: '/srv/parts',
      tlsDir: '/etc/mchair',
      backend: 'wasm',
      threads: 4,
    }),
  );
  await writeFile(
    join(dir, 'bad.json'),
    JSON.stringify({ id: 'pi3-1', partsDir: '/p', tlsDir: '/t', colour: 'blue' }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agent config', () => {
  it('reads the config file and lets flags override it', () => {
    const c = loadConfig([
      '--config',
      join(dir, 'agent.json'),
      '--port',
      '9000',
      '--backend',
      'node',
      '--max-message-mb',
      '8',
    ]);
    expect(c).toMatchObject({
      id: 'pi3-1',
      port: 9000,
      partsDir: '/srv/parts',
      tlsDir: '/etc/mchair',
      backend: 'node',
      threads: 4,
      maxMessageBytes: 8 * 2 ** 20,
      host: '0.0.0.0',
      profile: null,
    });
  });

  it('flags alone are enough; defaults fill the rest', () => {
    const c = loadConfig(['--id', 'tx2-1', '--parts-dir', '/p', '--tls-dir', '/t']);
    expect(c.port).toBe(7070);
    expect(c.backend).toBe('node');
    expect(c.maxMessageBytes).toBe(64 * 2 ** 20);
    expect(c.threads).toBeGreaterThanOrEqual(1);
  });

  it('refuses unknown keys, bad values and unknown flags with a line that names them', () => {
    expect(() => loadConfig(['--config', join(dir, 'bad.json')])).toThrow(/colour|Unrecognized/i);
    expect(() =>
      loadConfig(['--id', 'x', '--parts-dir', '/p', '--tls-dir', '/t', '--backend', 'cuda']),
    ).toThrow(/backend/);
    expect(() => loadConfig(['--id', 'x y', '--parts-dir', '/p', '--tls-dir', '/t'])).toThrow(
      /config: id:/,
    );
    expect(() => loadConfig(['--frobnicate'])).toThrow(ConfigError);
    expect(() => loadConfig(['--config', join(dir, 'missing.json')])).toThrow(/cannot read config/);
  });
});
