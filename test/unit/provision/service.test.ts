// The systemd unit rendered from resources/systemd, checked by systemd-analyze itself, and the
// choice of service mode.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseMode, renderUnit } from '../../../src-main/provision/service';

const argv = [
  '/usr/bin/node',
  `/home/pi/dir with 'q' "dq" %n $HOME/agent/mchair-agent.mjs`,
  '--config',
  '/home/pi/x.json',
];

describe('systemd unit', () => {
  it('renders a user unit with specifiers and variables escaped', () => {
    const unit = renderUnit({
      device: 'pi-03',
      dir: '/home/pi/dir 100%',
      argv,
      mode: 'systemd-user',
      user: 'pi',
    });
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).toContain('Restart=always');
    expect(unit).toContain('RestartSec=2');
    expect(unit).not.toContain('User=');
    expect(unit).toContain(
      `ExecStart="/usr/bin/node" "/home/pi/dir with 'q' \\"dq\\" %%n $$HOME/agent/mchair-agent.mjs" "--config" "/home/pi/x.json"`,
    );
    expect(unit).toContain('WorkingDirectory=/home/pi/dir 100%%');
  });

  // systemd-analyze comes with systemd, which a minimal CI image may lack: then this one is
  // reported as skipped, never passed.
  it.runIf(spawnSync('systemd-analyze', ['--version']).status === 0)(
    'systemd-analyze accepts the unit',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mchair-unit-'));
      const file = join(dir, 'mchair-agent-7700.service');
      writeFileSync(
        file,
        renderUnit({ device: 'pi-03', dir: '/tmp', argv, mode: 'systemd-user', user: 'pi' }),
      );
      execFileSync('systemd-analyze', ['verify', file], { stdio: 'pipe' });
    },
  );

  it('a system unit runs as the device user and starts with the machine', () => {
    const unit = renderUnit({
      device: 'pi-03',
      dir: '/tmp',
      argv,
      mode: 'systemd-system',
      user: 'pi',
    });
    expect(unit).toMatch(/^User=pi$/m);
    expect(unit).toContain('WantedBy=multi-user.target');
  });

  it('refuses a line break, which would add directives', () => {
    expect(() =>
      renderUnit({
        device: 'x',
        dir: '/tmp/a\nExecStartPre=/bin/rm',
        argv,
        mode: 'systemd-user',
        user: 'pi',
      }),
    ).toThrow(/line break/);
  });

  it('chooses the mode and says why', () => {
    expect(chooseMode({ systemdUser: false, sudo: true }, true).mode).toBe('background');
    expect(chooseMode({ systemdUser: false, sudo: true }, true).note).toMatch(/no systemd/);
    expect(chooseMode({ systemdUser: true, sudo: true }, true)).toEqual({
      mode: 'systemd-system',
      note: null,
    });
    expect(chooseMode({ systemdUser: true, sudo: false }, true).note).toMatch(
      /sudo needs a password/,
    );
    expect(chooseMode({ systemdUser: true, sudo: true }, false)).toEqual({
      mode: 'systemd-user',
      note: null,
    });
  });
});
