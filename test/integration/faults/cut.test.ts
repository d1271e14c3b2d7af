// A board's network cut mid-run: six emulated Pi 3 agents, each in a network namespace of its
// own on one bridge with this machine, and `--chaos cut:pi3-3@3` sets that namespace's link down
// (no process is stopped: the agent lives on, unreachable, as behind a dead Wi-Fi link). Then
// the same with the link set up again: the board is offered its chair back. Needs root.
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFarmCa, issueIdentity, writeIdentity } from '../../../src-main/farm/pki';
import { createLab, type Lab } from '../ssh/sshd';
import { chaosFixture, chaosRun, expectCutAndBack } from './chaos-run';

const root = process.getuid?.() === 0;
const DEVICES = 6;
const PORT = 7070;

const fx = chaosFixture();
let lab: Lab | null = null;
let farmFile: string;
const agents: ChildProcess[] = [];
const ids = Array.from({ length: DEVICES }, (_, i) => `pi3-${i + 1}`);

/** Starts one agent inside its namespace and waits for its "listening" line. */
async function startAgent(ns: string, addr: string, id: string, dir: string): Promise<number> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      fx.bundles.env.MCHAIR_AGENT_BUNDLE!,
      ...['--id', id, '--host', addr, '--port', String(PORT)],
      ...['--parts-dir', join(dir, 'parts'), '--tls-dir', join(dir, 'tls')],
      ...['--profile', 'pi3', '--threads', '1', '--link-mbps', '40'],
    ],
    // The stdin pipe is the agent's lifeline: it stops if this test process dies.
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, MCHAIR_AGENT_LIFELINE: '1' } },
  );
  agents.push(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) =>
      l.includes('"listening"') ? resolve() : reject(new Error(l)),
    );
    child.once('exit', (code) => reject(new Error(`agent ${id} exited with ${code}`)));
  });
  // `ip netns exec` execs the agent: the pid is the agent's.
  return child.pid!;
}

beforeAll(async () => {
  if (!root) return;
  lab = createLab(DEVICES);
  const dir = join(fx.home, 'farm');
  await mkdir(join(dir, 'parts'), { recursive: true });
  const ca = await createFarmCa('cut-test');
  for (const [i, id] of ids.entries())
    await writeIdentity(
      join(dir, 'tls'),
      id,
      ca.cert,
      await issueIdentity(ca, id, [lab.boards[i]!.boardAddress]),
    );
  await writeIdentity(
    join(dir, 'tls'),
    'coordinator',
    ca.cert,
    await issueIdentity(ca, 'coordinator'),
  );
  const devices = await Promise.all(
    ids.map(async (id, i) => {
      const b = lab!.boards[i]!;
      const pid = await startAgent(b.name, b.boardAddress, id, dir);
      return { id, profile: 'pi3', host: b.boardAddress, port: PORT, pid };
    }),
  );
  farmFile = join(dir, 'farm.json');
  await writeFile(
    farmFile,
    JSON.stringify({
      version: 1,
      emulated: true,
      tlsDir: join(dir, 'tls'),
      coordinatorId: 'coordinator',
      partsDir: join(dir, 'parts'),
      devices,
      airtime: [],
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const a of agents) a.kill('SIGKILL');
  lab?.remove();
});

const linkState = (ns: string) =>
  execFileSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' });

describe.skipIf(!root)(
  'a board whose network is cut mid-run (network namespaces; needs root)',
  () => {
    it('loses no frame: its link goes down, the survivors take its frames, then it is offered its chair back', async () => {
      const ns = lab!.boards[2]!.name;
      // Long enough that frames keep coming for the recovery window well after the fault.
      const r = await chaosRun(fx.bundles, fx.home, 220, [
        '--farm',
        farmFile,
        '--chaos',
        'cut:pi3-3@3,back:pi3-3@10',
      ]);
      expectCutAndBack(r, 220, 'pi3-3');
      // The namespace path was taken (the log says how), and the agent was never stopped.
      expect(r.stderr).toContain(`set down in network namespace ${ns}`);
      const pid = agents[2]!.pid!;
      expect((await readFile(`/proc/${pid}/stat`, 'utf8')).split(' ')[2]).not.toBe('T');
      expect(linkState(ns)).toMatch(/state UP/);
    }, 180_000);
  },
);
