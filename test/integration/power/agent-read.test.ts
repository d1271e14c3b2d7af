// `mchair power read --meter agent://DEVICE` outside a run: the reading goes to the device's agent
// over the farm's mutual TLS, and what the agent says comes back as one line. This machine's
// emulated boards have no power rails, so the agent's own refusal is the proof of the round trip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'mchair-agent-read-'));

function mchair(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mchair.js', '--data-dir', home, ...args], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

afterAll(() => {
  mchair('farm', 'down');
  rmSync(home, { recursive: true, force: true });
});

describe('power read agent://', () => {
  it('says how to start a farm when none is up', () => {
    const r = mchair('power', 'read', '--meter', 'agent://pi3-1', '--seconds', '1', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FARM_NOT_UP/);
    expect(r.stdout).toBe('');
  });

  it("reaches the device's agent and reports its answer in one line", () => {
    expect(mchair('farm', 'up', '--emulate', 'pi3:1', '--json').code).toBe(0);
    const r = mchair('power', 'read', '--meter', 'agent://pi3-1', '--seconds', '1', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').pop()).toMatch(
      /^mchair: agent@pi3-1: .*no power rails.*external meter \[METER_UNREACHABLE\]$/,
    );
    const unknown = mchair('power', 'read', '--meter', 'agent://pi3-9', '--seconds', '1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no device "pi3-9" in .*farm\.json \(it has pi3-1\)/);
  });
});
