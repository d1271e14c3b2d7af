// CSV and ~/.ssh/config imports: what a lab's existing files turn into.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-main/contract/errors';
import { BoardRecord } from '../../../src-main/inventory/boardRecord';
import {
  detectFormat,
  parseCsvRows,
  parseDevicesCsv,
  parseSshConfig,
} from '../../../src-main/inventory/import';

describe('CSV import', () => {
  it('reads quoted fields, doubled quotes and CRLF rows', () => {
    expect(parseCsvRows('a,"b,c","say ""hi"""\r\n1,2,3\n')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['1', '2', '3'],
    ]);
  });

  it('turns rows into devices, columns in any order', () => {
    const csv = [
      'Host,Name,User,Port,Key,Agent Port,Profile,Jump',
      '10.0.0.3,pi-03,pi,2222,/keys/lab,7701,pi3,admin@gw.lab:2200',
      '10.0.0.4,tx2-1,nvidia,,,,,',
      '',
    ].join('\n');
    const devices = parseDevicesCsv(csv).map((d) => BoardRecord.parse(d));
    expect(devices[0]).toMatchObject({
      name: 'pi-03',
      host: '10.0.0.3',
      port: 2222,
      user: 'pi',
      auth: { type: 'key', file: '/keys/lab' },
      agentPort: 7701,
      profile: 'pi3',
      jump: { user: 'admin', host: 'gw.lab', port: 2200 },
    });
    expect(devices[1]).toMatchObject({ name: 'tx2-1', port: 22, auth: { type: 'agent' } });
  });

  it('names the unknown column and the missing one', () => {
    expect(() => parseDevicesCsv('name,host,user,colour\n')).toThrow(/unknown column "colour"/);
    expect(() => parseDevicesCsv('name,host\nx,y\n')).toThrow(/no "user" column/);
    expect(() => parseDevicesCsv('name,host,user,auth\nx,y,z,magic\n')).toThrow(
      /CSV line 2: auth must be/,
    );
  });
});

describe('~/.ssh/config import', () => {
  const config = `
# lab boards
User fallback
Host pi-0? !pi-09
  IdentityFile ~/.ssh/lab_ed25519
Host pi-01
  HostName 10.0.0.1
  User pi
Host pi-02
  HostName=10.0.0.2
  Port 2222
  ProxyJump gw
Host gw
  HostName gateway.lab
  User admin
  Port 2200
Host tx2 tx2-alias
  HostName 10.0.0.9
  User nvidia
  ProxyJump root@10.0.0.254:22
Host *
  User wildcard-default
Match exec "true"
  User nobody-should-see-this
`;

  it('makes one device per concrete alias; wildcards give defaults, first value wins', () => {
    const devices = parseSshConfig(config, 'me');
    expect(devices.map((d) => d.name)).toEqual(['pi-01', 'pi-02', 'gw', 'tx2', 'tx2-alias']);
    const [pi1, pi2, gw, tx2] = devices;
    expect(pi1).toMatchObject({
      host: '10.0.0.1',
      port: 22,
      user: 'fallback',
      auth: { type: 'key' },
    });
    expect((pi1!.auth as { file: string }).file).toMatch(/\/\.ssh\/lab_ed25519$/);
    expect(pi1!.auth).not.toMatchObject({ file: expect.stringContaining('~') });
    // The jump named by alias takes that alias's HostName, Port and User.
    expect(pi2).toMatchObject({
      host: '10.0.0.2',
      port: 2222,
      jump: { host: 'gateway.lab', port: 2200, user: 'fallback' },
    });
    expect(gw).toMatchObject({ host: 'gateway.lab', user: 'fallback', auth: { type: 'agent' } });
    expect(tx2).toMatchObject({
      host: '10.0.0.9',
      user: 'fallback',
      jump: { user: 'root', host: '10.0.0.254', port: 22 },
    });
  });

  it('a config with only wildcards has nothing to import', () => {
    expect(() => parseSshConfig('Host *\n  User x\n')).toThrow(AppError);
  });

  it('tells the two formats apart', () => {
    expect(detectFormat('lab.csv', 'name,host,user')).toBe('csv');
    expect(detectFormat('config', '# c\nHost a\n')).toBe('ssh-config');
    expect(detectFormat('boards.txt', 'name,host,user\n')).toBe('csv');
    expect(() => detectFormat('x', 'hello')).toThrow(/cannot tell/);
  });
});
