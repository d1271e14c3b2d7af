// A board's network cut on the virtual farm itself: `mchair run --emulate pi3:6 --chaos
// cut:pi3-3@3` starts pi3-3's agent in a network namespace of its own on a private link with this
// machine (farm/netns.ts), and the cut sets that namespace's link down (no process is stopped).
// The run survives it (nothing lost or twice, detection under 2 s) and the board gets its chair
// back; the namespaces and their links are gone after the run, and also after the coordinator is
// SIGKILLed. Run as an unprivileged user, the cut falls back to SIGSTOP and says so. Needs root.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { chaosFixture, chaosRun, expectCutAndBack } from './chaos-run';
import { childPids, leftBehind } from '../../reliability/run-folder';
import { CLI } from '../../security/terminal';

const root = process.getuid?.() === 0;
const fx = chaosFixture();

/** The farm links of this machine (farm/netns.ts names them mcf + a tag). */
const farmLinks = (): string[] =>
  execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+:\s+(mcf[0-9a-f]+)/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);

/** Pids of the processes in the network namespace `inode` ("net:[N]"). */
function inNamespace(inode: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/ns/net`) === inode;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!root)('a board cut on the virtual farm (network namespaces; needs root)', () => {
  it('sets its namespace link down, loses no frame, offers it its chair back, leaves nothing behind', async () => {
    const before = farmLinks();
    const r = await chaosRun(fx.bundles, fx.home, 220, [
      '--emulate',
      'pi3:6',
      '--chaos',
      'cut:pi3-3@3,back:pi3-3@10',
    ]);
    expectCutAndBack(r, 220, 'pi3-3');
    // The link was set down and up in the board's own (anonymous) namespace: no process stopped.
    const how = /link farm0 set down in network namespace (net:\[\d+\])/.exec(r.stderr);
    expect(how, r.stderr).not.toBeNull();
    expect(r.stderr).toContain(`link farm0 set up in network namespace ${how![1]}`);
    expect(r.stderr).not.toContain('SIGSTOP');
    // Nothing left: no process in the board's namespace (so it is gone), no farm link.
    expect(inNamespace(how![1]!)).toEqual([]);
    expect(farmLinks().filter((l) => !before.includes(l))).toEqual([]);
  }, 180_000);

  it('without root the cut stops the agent (SIGSTOP), says so, and the run still loses nothing', () => {
    const data = mkdtempSync(join(tmpdir(), 'mchair-cut-nobody-'));
    chmodSync(data, 0o777);
    const r = spawnSync(
      'runuser',
      [
        ...['-u', 'nobody', '--', process.execPath, CLI, '--data-dir', data, 'run'],
        ...['--model', 'tiny-cnn', '--emulate', 'pi3:2', '--plan', 'auto', '--frames', '60'],
        ...['--chaos', 'cut:pi3-2@1,back:pi3-2@3'],
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "pi3-2: a cut stops the agent's process (SIGSTOP): network namespaces need root",
    );
    expect(r.stderr).toMatch(/SIGSTOP to pid \d+ \(no network namespace of its own\)/);
    expect(r.stderr).not.toContain('set down in network namespace');
    expect(r.stdout).toContain('60/60 completed, 0 lost, 0 duplicated, 0 mismatched');
  }, 120_000);

  it('leaves no namespace or link behind a coordinator killed with SIGKILL', async () => {
    const data = mkdtempSync(join(tmpdir(), 'mchair-cut-kill-'));
    const child = spawn(
      process.execPath,
      [
        ...[CLI, '--data-dir', data, 'run', '--model', 'tiny-cnn', '--emulate', 'pi3:2'],
        ...['--plan', 'auto', '--frames', '100000', '--chaos', 'cut:pi3-2@600'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...fx.bundles.env } },
    );
    const exited = new Promise((r) => child.once('exit', r));
    let stderr = '';
    let uplink = '';
    let agents: number[] = [];
    let inode = '';
    try {
      // Waits for the link line, then for frames to flow through the isolated board.
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stderr }).on('line', (l) => {
          stderr += `${l}\n`;
          uplink ||= /link (mcf[0-9a-f]+)\)/.exec(l)?.[1] ?? '';
          if (uplink && /^\s+[1-9]\d*\/100000 frames/.test(l)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`mchair run exited ${code}: ${stderr}`)));
      });
      // Agents, the medium and the namespace holders: none may outlive the coordinator.
      agents = childPids(child.pid as number);
      // pi3-2's agent is in a namespace of its own, pi3-1's in ours.
      const own = readlinkSync('/proc/self/ns/net');
      const spaces = agents
        .filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--id'))
        .map((p) => readlinkSync(`/proc/${p}/ns/net`));
      expect(spaces).toHaveLength(2);
      const isolated = spaces.filter((n) => n !== own);
      expect(isolated, stderr).toHaveLength(1);
      inode = isolated[0] as string;
      expect(farmLinks()).toContain(uplink);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Its lifeline and the namespace holders' pipes closed with the coordinator: all goes.
    expect(await leftBehind(agents)).toEqual([]);
    await until('the board namespace still has processes', () => inNamespace(inode).length === 0);
    await until(`link ${uplink} still there`, () => !farmLinks().includes(uplink));
  }, 120_000);
});
