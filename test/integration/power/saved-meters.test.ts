// Settings' saved power meters through the core's dispatcher: added, edited, removed and kept in
// meters.json (whole-file writes, every URI and name checked, one-line errors that leave the
// file as it was), and a run started from the app measured by the saved meter: a Shelly
// simulator on a real HTTP socket, whose watts land in the run's energy in place of the
// emulated boards' meters; `mchair run --saved-meters` measures with them too.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, EventPayload, SavedMeter } from '../../../src-main/contract/index';
import type { RunEnergy } from '../../../src-main/contract/energy';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { readRun } from '../../../src-main/store/runs';
import { runMchair } from '../cli/run-mchair';
import { startShellySim, type ShellySim } from '../../sim/shelly-sim';
import { constant } from '../../sim/trace';

let dataDir: string;
let core: Core;
let plug: ShellySim;
const states: Array<EventPayload<'run/state'>> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-meters-'));
  plug = await startShellySim(2, constant(7.5));
  core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
  core.events.subscribe((name, payload) => {
    if (name === 'run/state') states.push(payload as EventPayload<'run/state'>);
  });
});

afterAll(async () => {
  await core?.close();
  await plug?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function meters(e: Envelope<unknown>): SavedMeter[] {
  if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
  return (e.result as { meters: SavedMeter[] }).meters;
}

const file = (): string => join(dataDir, 'meters.json');
const onDisk = (): unknown => JSON.parse(readFileSync(file(), 'utf8'));

describe('saved power meters', () => {
  it('are added, edited and removed, and kept whole in meters.json', async () => {
    expect(meters(await core.dispatch('meters/list', {}))).toEqual([]);
    const plugUri = `shelly2://127.0.0.1:${plug.port}`;
    expect(
      meters(
        await core.dispatch('meters/save', { meter: { name: 'rack', uri: 'kasa://10.0.0.9' } }),
      ),
    ).toEqual([{ name: 'rack', uri: 'kasa://10.0.0.9' }]);
    meters(
      await core.dispatch('meters/save', { meter: { name: 'bench', uri: 'shelly://10.0.0.8' } }),
    );
    // An edit renames and re-points a meter in place.
    expect(
      meters(
        await core.dispatch('meters/save', {
          meter: { name: 'bench plug', uri: plugUri },
          replaces: 'bench',
        }),
      ),
    ).toEqual([
      { name: 'rack', uri: 'kasa://10.0.0.9' },
      { name: 'bench plug', uri: plugUri },
    ]);
    expect(meters(await core.dispatch('meters/remove', { name: 'rack' }))).toEqual([
      { name: 'bench plug', uri: plugUri },
    ]);
    expect(onDisk()).toEqual({ version: 1, meters: [{ name: 'bench plug', uri: plugUri }] });
    // Whole-file writes leave neither temp files nor the lock behind.
    expect(readdirSync(dataDir).filter((f) => f.includes('meters'))).toEqual(['meters.json']);
    // A new core (the app started again) reads the same list.
    const again = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
    expect(meters(await again.dispatch('meters/list', {}))).toEqual([
      { name: 'bench plug', uri: plugUri },
    ]);
    await again.close();
  });

  it('refuses a bad URI, a taken name or a missing meter in one line, leaving the file as it was', async () => {
    const before = readFileSync(file(), 'utf8');
    const refusals = [
      [{ meter: { name: 'lab', uri: 'shelly://' } }, 'BAD_INPUT', /meter "shelly:\/\/"/],
      [{ meter: { name: 'lab', uri: 'gopher://x' } }, 'BAD_INPUT', /gopher/],
      [{ meter: { name: 'BENCH PLUG', uri: 'kasa://10.0.0.9' } }, 'BAD_INPUT', /saved already/],
      [{ meter: { name: '-x', uri: 'kasa://10.0.0.9' } }, 'BAD_INPUT', /meter\.name/],
      [
        { meter: { name: 'lab', uri: 'kasa://10.0.0.9' }, replaces: 'nope' },
        'METER_NOT_FOUND',
        /nope/,
      ],
    ] as const;
    for (const [args, code, sentence] of refusals) {
      const r = await core.dispatch('meters/save', args);
      expect(r).toMatchObject({ ok: false, error: { code } });
      const message = (r as { error: { message: string } }).error.message;
      expect(message).toMatch(sentence);
      expect(message).not.toContain('\n');
    }
    expect(await core.dispatch('meters/remove', { name: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'METER_NOT_FOUND' },
    });
    expect(readFileSync(file(), 'utf8')).toBe(before);
  });

  it('keeps every one of many saves made at once (each edit holds the lock)', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mchair-meters-race-'));
    const cores = [0, 1, 2].map(() =>
      createCore({ mode: 'serve', dataDir: other, log: createLogger('silent') }),
    );
    try {
      const names = Array.from({ length: 12 }, (_, i) => `plug ${i}`);
      const saves = await Promise.all(
        names.map((name, i) =>
          cores[i % cores.length]!.dispatch('meters/save', {
            meter: { name, uri: `kasa://10.0.1.${i + 1}` },
          }),
        ),
      );
      expect(saves.every((r) => r.ok)).toBe(true);
      const listed = meters(await cores[0]!.dispatch('meters/list', {}));
      expect(listed.map((m) => m.name).sort()).toEqual([...names].sort());
      expect(readdirSync(other)).toEqual(['meters.json']);
    } finally {
      await Promise.all(cores.map((c) => c.close()));
      await rm(other, { recursive: true, force: true });
    }
  });

  it('says which file to fix when meters.json is not a meter list', async () => {
    const before = readFileSync(file(), 'utf8');
    writeFileSync(file(), '{"version":1,"meters":[{"name":"x"}]}');
    const r = await core.dispatch('meters/list', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'METERS_UNREADABLE' } });
    expect((r as { error: { message: string } }).error.message).toContain(file());
    writeFileSync(file(), before);
  });

  it('measure a run started from the app, in place of the emulated meters', async () => {
    const asked = plug.requests.length;
    const started = await core.dispatch('run/start', {
      model: 'tiny-cnn',
      farm: { kind: 'emulate', spec: 'pi3:1' },
      frames: 20,
    });
    if (!started.ok) throw new Error(started.error.message);
    const { runId } = started.result as { runId: string };
    const end = Date.now() + 120_000;
    while (!states.some((s) => s.runId === runId && ['done', 'failed'].includes(s.state))) {
      if (Date.now() > end) throw new Error('the run did not end');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { run } = await readRun(dataDir, runId);
    expect(run.state, run.message ?? '').toBe('done');
    const energy = run.energy!;
    expect(energy.meters.map((m) => [m.uri, m.emulated])).toEqual([
      [`shelly2://127.0.0.1:${plug.port}`, false],
    ]);
    expect(energy.emulated).toBe(false);
    expect(energy.meters[0]!.avgW).toBeCloseTo(7.5, 6);
    expect(plug.requests.length).toBeGreaterThan(asked);
    expect(existsSync(join(dataDir, 'runs', runId, 'power.csv'))).toBe(true);
  }, 150_000);

  it('measure `mchair run --saved-meters`, and a CLI run without the flag keeps its own', async () => {
    const run = async (...extra: string[]): Promise<Array<[string, boolean]>> => {
      const r = await runMchair(
        '--data-dir',
        dataDir,
        'run',
        '--model',
        'tiny-cnn',
        '--emulate',
        'pi3:1',
        '--plan',
        'auto',
        '--frames',
        '10',
        '--json',
        ...extra,
      );
      expect(r.code, r.stderr).toBe(0);
      const energy = (JSON.parse(r.stdout) as { energy: RunEnergy }).energy;
      return energy.meters.map((m) => [m.uri, m.emulated]);
    };
    expect(await run('--saved-meters')).toEqual([[`shelly2://127.0.0.1:${plug.port}`, false]]);
    expect((await run()).every(([, emulated]) => emulated)).toBe(true);
  }, 150_000);
});
