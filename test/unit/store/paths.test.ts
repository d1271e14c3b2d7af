// The one data folder every program uses by default, on each platform, and the pointer Settings
// leaves when it moves the data elsewhere.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataDirOf, defaultDataDir, POINTER_FILE } from '../../../src-main/store/paths';

describe('the default data folder', () => {
  it('is the platform place for application data, the same for the app, serve and the CLI', () => {
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe(
      '/home/ada/.local/share/musical-chair-lab',
    );
    expect(defaultDataDir({ XDG_DATA_HOME: '/data/ada' }, 'linux', '/home/ada')).toBe(
      '/data/ada/musical-chair-lab',
    );
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe(
      '/Users/ada/Library/Application Support/musical-chair-lab',
    );
    expect(
      defaultDataDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada'),
    ).toBe('C:\\Users\\ada\\AppData\\Roaming\\musical-chair-lab');
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\musical-chair-lab',
    );
  });

  it('is $MCHAIR_HOME on every platform when set', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const)
      expect(defaultDataDir({ MCHAIR_HOME: '/lab' }, platform, '/home/ada')).toBe('/lab');
  });
});

describe('a moved data folder', () => {
  const home = mkdtempSync(join(tmpdir(), 'mchair-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('is followed through the pointer in the home, and a broken pointer is ignored', () => {
    expect(dataDirOf(home)).toBe(home);
    writeFileSync(join(home, POINTER_FILE), JSON.stringify({ dataDir: '/srv/lab' }));
    expect(dataDirOf(home)).toBe('/srv/lab');
    writeFileSync(join(home, POINTER_FILE), '{"dataDir": ');
    expect(dataDirOf(home)).toBe(home);
  });
});
