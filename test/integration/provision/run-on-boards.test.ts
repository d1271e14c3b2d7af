// Runs on the lab's provisioned boards, end to end: two boards behind a real OpenSSH server on
// 127.x (one user, two agent folders and ports), provisioned by `mchair provision` (real agents
// started as supervised background processes), then runs that push the plan's part files to
// the boards that run them over SFTP, named by sha256: `mchair run --devices` with --check, a
// run through the contract's run/start that finds every part already there (nothing sent again),
// a part damaged on a board that is sent again (and the CLI saying so per board), and a board
// lost mid-run whose re-plan puts the new plan's parts on the board that is left.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../src-main/contract/index';
import type { Plan } from '../../../src-main/contract/plan';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { runMchair, type CliResult } from '../cli/run-mchair';
import { addBoardArgs } from './addBoard';
import { pipelineStages } from './pipeline';
import { startBoard, tempDir, type Board } from '../ssh/sshd';

const BOARDS = [
  { name: 'board-1', remoteDir: '.mc-a' },
  { name: 'board-2', remoteDir: '.mc-b' },
] as const;

let dir: string;
let dataDir: string;
/** The one machine (sshd and user) both boards are on. */
let machine: Board;
let twoStages: string;

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', dataDir, ...args);

/** `mchair run` of tiny-cnn over both boards by the two-stage plan. */
const pipelineRun = (frames: number): string[] => [
  'run',
  '--model',
  'tiny-cnn',
  '--devices',
  'board-1,board-2',
  '--plan',
  twoStages,
  '--frames',
  String(frames),
  '--json',
];

/** The part files in a board's agent folder, by name, with their sha256 and change time. */
function partsOn(board: number): Map<string, { sha256: string; mtimeMs: number }> {
  const folder = join(machine.user.home, BOARDS[board]!.remoteDir, 'parts');
  return new Map(
    readdirSync(folder).map((f) => {
      const path = join(folder, f);
      const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
      return [f, { sha256, mtimeMs: statSync(path).mtimeMs }];
    }),
  );
}

/** The part files a run folder's manifest names, per stage. */
function manifestShas(runDir: string): string[][] {
  const m = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as Manifest;
  return m.stages.map((s) => s.parts.map((p) => p.sha256));
}

beforeAll(async () => {
  dir = tempDir('mchair-board-runs');
  dataDir = join(dir, 'data');
  machine = await startBoard(dir, { userPrefix: 'mcr' });
  for (const b of BOARDS) {
    const added = await mchair(
      ...(await addBoardArgs(b.name, machine, '--remote-dir', b.remoteDir)),
    );
    expect(added.code, added.stderr).toBe(0);
  }
  const provisioned = await mchair('provision', 'board-1', 'board-2', '--accept-new', '--json');
  expect(provisioned.code, provisioned.stderr).toBe(0);
  // A pipeline over both boards: the conv stack on board-1, the classifier on board-2. The
  // planner's own best for two equal boards replicates the whole model instead.
  const farmFile = join(dir, 'boards.json');
  writeFileSync(
    farmFile,
    JSON.stringify({ devices: BOARDS.map((b) => ({ id: b.name, profile: 'x86-laptop' })) }),
  );
  const planned = await mchair('plan', '--model', 'tiny-cnn', '--farm', farmFile, '--json');
  expect(planned.code, planned.stderr).toBe(0);
  const plan = JSON.parse(planned.stdout) as Plan;
  plan.stages = pipelineStages([
    ['board-1', 'preprocess.cast', 'flatten', 'input', 'flat'],
    ['board-2', 'fc1', 'softmax', 'flat', 'probs'],
  ]);
  twoStages = join(dir, 'two-stages.json');
  writeFileSync(twoStages, JSON.stringify(plan));
}, 240_000);

afterAll(async () => {
  await machine?.stop();
});

describe('runs on provisioned boards', () => {
  let firstParts: Array<Map<string, { sha256: string; mtimeMs: number }>>;

  it('refuses boards it cannot plan on or find, and a second farm, in one line', async () => {
    const bare = await mchair(
      'devices',
      'add',
      'bare',
      '--host',
      machine.sshd.host,
      '--user',
      machine.user.name,
    );
    expect(bare.code, bare.stderr).toBe(0);
    // A board with a profile whose agent was never started.
    const stray = await mchair(...(await addBoardArgs('stray', machine)));
    expect(stray.code, stray.stderr).toBe(0);
    // A user error exits 1; wrong usage (a malformed list, two farms at once) exits 2.
    const refusals: Array<[string[], RegExp, number]> = [
      [['--devices', 'bare'], /bare has no board type yet/, 1],
      [['--devices', 'stray'], /no agent answers on stray \(.*\); provision the boards/, 1],
      [['--devices', 'ghost'], /no device named "ghost"/, 1],
      [['--devices', 'board-1;rm'], /--devices.*not a comma-separated list of device names/, 2],
      [['--devices', 'board-1', '--emulate', 'pi3:1'], /give exactly one of/, 2],
    ];
    for (const [flags, sentence, code] of refusals) {
      const r = await mchair('run', '--model', 'tiny-cnn', '--plan', 'auto', ...flags);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trim()).toMatch(sentence);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    for (const name of ['bare', 'stray'])
      expect((await mchair('devices', 'remove', name)).code).toBe(0);
  });

  it('mchair run --devices pushes each board the parts it runs, and the results check', async () => {
    const r = await mchair(...pipelineRun(30), '--check');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      state: 'done',
      emulated: false,
      frames: { sent: 30, completed: 30, lost: 0, duplicated: 0, mismatched: 0 },
    });
    const [conv, classifier] = manifestShas(join(dataDir, 'runs', report.runId)).flat();
    firstParts = [partsOn(0), partsOn(1)];
    // Each board holds exactly its own stage's part, named by its sha256, with that content.
    expect([...firstParts[0]!]).toEqual([
      [`${conv}.onnx`, expect.objectContaining({ sha256: conv })],
    ]);
    expect([...firstParts[1]!]).toEqual([
      [`${classifier}.onnx`, expect.objectContaining({ sha256: classifier })],
    ]);
  }, 180_000);

  it('a run through the contract finds the parts there and sends nothing; a damaged one goes again', async () => {
    // Damage board-2's part: the next run must see the wrong sha256 and send it again.
    const [damaged, before] = [...firstParts[1]!][0]!;
    writeFileSync(join(machine.user.home, BOARDS[1].remoteDir, 'parts', damaged), 'not onnx');
    const core: Core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
    const starting: string[] = [];
    const ended = new Promise<{ state: string; message: string | null }>((resolve) =>
      core.events.subscribe((name, payload) => {
        const p = payload as { state?: string; message: string | null };
        if (name === 'run/state' && p.state === 'starting' && p.message) starting.push(p.message);
        if (name === 'run/state' && ['done', 'failed', 'stopped'].includes(p.state ?? ''))
          resolve({ state: p.state!, message: p.message });
      }),
    );
    try {
      const started = await core.dispatch('run/start', {
        model: 'tiny-cnn',
        farm: { kind: 'inventory', devices: ['board-1', 'board-2'] },
        plan: JSON.parse(readFileSync(twoStages, 'utf8')) as Plan,
        frames: 30,
      });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      expect(await ended).toEqual({ state: 'done', message: null });
    } finally {
      await core.close();
    }
    // The Run view heard, while the run was starting, what each board was sent.
    expect(starting).toEqual(
      expect.arrayContaining([
        'board-1: its part files are there already',
        expect.stringMatching(/^board-2: 1 part file sent \(\d+\.\d MiB\)$/),
      ]),
    );
    // board-1's part was already right: not written again. board-2's is whole again.
    expect([...partsOn(0)]).toEqual([...firstParts[0]!]);
    expect(partsOn(1).get(damaged)?.sha256).toBe(before!.sha256);
  }, 180_000);

  it('says per board what it sent: the part it lacked, or that its parts were there', async () => {
    const [lost] = [...firstParts[0]!][0]!;
    writeFileSync(join(machine.user.home, BOARDS[0].remoteDir, 'parts', lost), '');
    const r = await mchair(...pipelineRun(5).filter((a) => a !== '--json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^board-1: 1 part file sent \(\d+\.\d MiB\)$/m);
    expect(r.stderr).toMatch(/^board-2: its part files are there already$/m);
    expect([...partsOn(0)].map(([f, p]) => [f, p.sha256])).toEqual(
      [...firstParts[0]!].map(([f, p]) => [f, p.sha256]),
    );
  }, 120_000);

  it('a board lost mid-run: the re-plan puts its new parts on the board that is left', async () => {
    const run = spawn(
      process.execPath,
      ['bin/mchair.js', '--data-dir', dataDir, ...pipelineRun(3000)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
    // Never wait past the test: a hung run is killed and says what it printed.
    const guard = setTimeout(() => run.kill('SIGKILL'), 200_000);
    // Under way once the store counts its first results (run.json is rewritten every second).
    const runsDir = join(dataDir, 'runs');
    mkdirSync(runsDir, { recursive: true });
    const known = new Set(readdirSync(runsDir));
    let ended = false;
    void exited.then(() => (ended = true));
    for (;;) {
      const fresh = readdirSync(runsDir).filter((d) => !known.has(d));
      const summary = fresh
        .map((d) => join(runsDir, d, 'run.json'))
        .map((f) => {
          try {
            return JSON.parse(readFileSync(f, 'utf8')) as { state: string; completed: number };
          } catch {
            return null; // not written yet
          }
        })[0];
      if (summary?.state === 'running' && summary.completed > 0) break;
      if (ended) throw new Error(`the run ended before board-2 was stopped:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stopped = await mchair('devices', 'service', 'stop', 'board-2');
    expect(stopped.code, stopped.stderr).toBe(0);
    const code = await exited;
    clearTimeout(guard);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.frames).toMatchObject({ completed: 3000, lost: 0, duplicated: 0 });
    expect(report.faults.map((f: { device: string }) => f.device)).toContain('board-2');
    // The new plan is the whole model on board-1: cut afresh and pushed there.
    const runDir = join(dataDir, 'runs', report.runId);
    const replanned = readdirSync(runDir).filter((f) => /^parts-\d+$/.test(f));
    expect(replanned.length).toBeGreaterThan(0);
    const whole = JSON.parse(
      readFileSync(join(runDir, replanned[0]!, 'manifest.json'), 'utf8'),
    ) as Manifest;
    expect(whole.stages).toHaveLength(1);
    const sha = whole.stages[0]!.parts[0]!.sha256;
    expect(partsOn(0).get(`${sha}.onnx`)?.sha256).toBe(sha);
    expect(partsOn(1).has(`${sha}.onnx`)).toBe(false);
  }, 240_000);
});
