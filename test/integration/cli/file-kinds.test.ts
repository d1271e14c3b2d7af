// A file given to the wrong option is named for what it is, in one line, with the option it
// belongs to; a bad inventory or plan is described in plain words, never as a schema path; and a
// missing option a command checks itself is wrong usage, exit 2 like commander's own. Real files
// made by the real CLI (an inventory, a plan, its parts, a run and its report) and a farm file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMchair, type CliResult } from './run-mchair';

const dir = mkdtempSync(join(tmpdir(), 'mchair-kinds-'));
const data = join(dir, 'data');
const at = (name: string) => join(dir, name);

const mchair = (...args: string[]): Promise<CliResult> => runMchair('--data-dir', data, ...args);

/** Exit `code` with exactly this one line. */
function expectLine(r: CliResult, code: number, line: string): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toBe(`mchair: ${line}\n`);
}

beforeAll(async () => {
  expect((await mchair('devices', 'add', 'pi-1', '--host', '10.0.0.1', '--user', 'pi')).code).toBe(
    0,
  );
  writeFileSync(at('inventory.json'), readFileSync(join(data, 'inventory.json')));
  writeFileSync(
    at('farm.json'),
    JSON.stringify({
      version: 1,
      emulated: true,
      tlsDir: 'tls',
      coordinatorId: 'coordinator',
      partsDir: 'parts',
      devices: [{ id: 'pi3-1', profile: 'pi3', host: '127.0.0.1', port: 7001 }],
    }),
  );
  const plan = await mchair(
    'plan',
    '--model',
    'tiny-cnn',
    '--devices',
    'pi3:2',
    '--out',
    at('plan.json'),
  );
  expect(plan.code, plan.stderr).toBe(0);
  const parts = await mchair(
    'partition',
    '--model',
    'tiny-cnn',
    '--plan',
    at('plan.json'),
    '--out',
    at('parts'),
  );
  expect(parts.code, parts.stderr).toBe(0);
  const run = await mchair(
    'run',
    '--model',
    'tiny-cnn',
    '--plan',
    'auto',
    '--emulate',
    'pi3:2',
    '--frames',
    '4',
  );
  expect(run.code, run.stderr).toBe(0);
  const [id] = readdirSync(join(data, 'runs'));
  const report = await mchair('report', id!, '--format', 'json', '--out', at('report.json'));
  expect(report.code, report.stderr).toBe(0);
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a file given to the wrong option', () => {
  it('an inventory given to --farm', async () => {
    expectLine(
      await mchair('run', '--model', 'tiny-cnn', '--plan', 'auto', '--farm', at('inventory.json')),
      1,
      '--farm: inventory.json is an inventory (the boards "mchair devices add" keeps), not a farm file (the agents "mchair farm up" started); give it to --inventory',
    );
  });

  it('a farm file given to --inventory', async () => {
    expectLine(
      await mchair('devices', 'list', '--inventory', at('farm.json')),
      1,
      '--inventory: farm.json is a farm file (the agents "mchair farm up" started), not an inventory (the boards "mchair devices add" keeps); give it to --farm',
    );
  });

  it('a plan given as a model', async () => {
    expectLine(
      await mchair('plan', '--model', at('plan.json'), '--devices', 'pi3:2'),
      1,
      '--model: plan.json is a plan (from "mchair plan --out"), not an ONNX model; give it to --plan',
    );
  });

  it('a manifest given as a plan, to run and to partition', async () => {
    const line =
      '--plan: manifest.json is a manifest (the parts "mchair partition" wrote), not a plan (from "mchair plan --out"); give its folder to --partitions';
    const manifest = join(at('parts'), 'manifest.json');
    expectLine(
      await mchair('run', '--model', 'tiny-cnn', '--emulate', 'pi3:2', '--plan', manifest),
      1,
      line,
    );
    expectLine(
      await mchair('partition', '--model', 'tiny-cnn', '--plan', manifest, '--out', at('p2')),
      1,
      line,
    );
  });

  it('a report given as a run', async () => {
    expectLine(
      await mchair('report', at('report.json')),
      1,
      'report.json is a report (from "mchair report --format json"), not a run; reports are read, not given back: name runs by their ids (see "mchair runs list")',
    );
  });
});

describe('a bad file of the right kind, in plain words', () => {
  it('an inventory of another version', async () => {
    const inv = JSON.parse(readFileSync(at('inventory.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(at('inv.json'), JSON.stringify({ ...inv, version: 3 }));
    expectLine(
      await mchair('devices', 'list', '--inventory', at('inv.json')),
      1,
      `${at('inv.json')}, an inventory: "version" is 3; this mchair reads version 1 or 2`,
    );
  });

  it('an inventory with a board missing its address', async () => {
    const inv = JSON.parse(readFileSync(at('inventory.json'), 'utf8')) as {
      devices: Array<Record<string, unknown>>;
    };
    delete inv.devices[0]!.host;
    writeFileSync(at('nohost.json'), JSON.stringify(inv));
    expectLine(
      await mchair('devices', 'list', '--inventory', at('nohost.json')),
      1,
      `${at('nohost.json')}, an inventory: device 1 (pi-1): "host" is missing`,
    );
  });

  it('a plan without its stages', async () => {
    const plan = JSON.parse(readFileSync(at('plan.json'), 'utf8')) as Record<string, unknown>;
    delete plan.stages;
    writeFileSync(at('nostages.json'), JSON.stringify(plan));
    const r = await mchair(
      'run',
      '--model',
      'tiny-cnn',
      '--emulate',
      'pi3:2',
      '--plan',
      at('nostages.json'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mchair: \/\S+\/nostages\.json, a plan: "stages" is missing/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('wrong usage', () => {
  it('exits 2 for an option a command checks itself', async () => {
    const r = await mchair('run', '--model', 'tiny-cnn', '--plan', 'auto');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mchair: give exactly one of --emulate SPEC.* \(see --help\)\n$/);
    const none = await mchair('report');
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });
});
