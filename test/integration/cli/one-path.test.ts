// The CLI goes through the core: each command's contract call is logged by the one dispatcher
// the app and serve use. And a command loads only what it needs: `mchair plan` never loads the
// packages of the rooms it does not reach (ssh2, onnxruntime, the agents' protocol, the reports'
// images), which keeps a fresh plan within its second of CPU.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMchair } from './run-mchair';

const dir = mkdtempSync(join(tmpdir(), 'mchair-one-path-'));
const inventory = join(dir, 'lab.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The dispatcher's line (done, or failed with its code) for each contract command called, in order. */
function commandsDone(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('"command":'))
    .map((l) => (JSON.parse(l) as { command: string }).command);
}

describe('the CLI through the core', () => {
  it.each<[string[], string[], number]>([
    [['plan', '--model', 'tiny-cnn', '--devices', 'pi3:2', '--json'], ['plan/make'], 0],
    [
      ['plan', '--model', 'tiny-cnn', '--devices', 'pi3:6', '--preset', 'paper-5'],
      ['plan/make'],
      0,
    ],
    [['info', '--json'], ['app/info'], 0],
    [['model', 'list', '--json'], ['models/list'], 0],
    [['model', 'inspect', 'tiny-cnn', '--json'], ['models/inspect'], 0],
    [['partition', '--list-cuts', 'tiny-cnn', '--json'], ['models/cuts'], 0],
    [['verify', '--model', 'tiny-cnn', '--cut', 'image', '--frames', '1'], ['models/verify'], 0],
    // A failure is the core's too: logged with its code by the dispatcher.
    [['devices', 'remove', 'nobody'], ['devices/remove'], 1],
    [['report', '--schema'], ['reports/schema'], 0],
    [['report', 'nope', '--format', 'csv'], ['reports/write'], 1],
    [['devices', 'list', '--json'], ['devices/list'], 0],
    [
      ['devices', 'add', 'pi-1', '--host', '10.0.0.1', '--user', 'pi', '--inventory', inventory],
      ['devices/add'],
      0,
    ],
    // The data folder's inventory is empty: a probe of every board connects to none.
    [['devices', 'probe', '--json'], ['devices/probe'], 0],
    [['devices', 'logs', 'nobody'], ['devices/logs'], 1],
    [['devices', 'service', 'status', 'nobody'], ['devices/service'], 1],
    [['devices', 'reboot', 'nobody', '--yes'], ['devices/act'], 1],
    [
      ['model', 'build', 'tiny-cnn', '--out', join(dir, 'tiny.onnx'), '--json'],
      ['models/build'],
      0,
    ],
    [['model', 'import', join(dir, 'no-such.onnx')], ['models/import'], 1],
  ])('mchair %j calls %j', async (args, expected, code) => {
    const r = await runMchair('--data-dir', join(dir, 'data'), '--log-level', 'debug', ...args);
    expect(r.code, r.stderr).toBe(code);
    expect(commandsDone(r.stderr)).toEqual(expected);
  });

  it("refuses with the contract's error what the flags let through", async () => {
    // The flags take any --devices text; the contract takes a farm spec of at most 4096 characters.
    const r = await runMchair(
      '--data-dir',
      join(dir, 'data'),
      'plan',
      '--model',
      'tiny-cnn',
      '--devices',
      `pi3:1${',pi3:1'.repeat(700)}`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mchair: plan\/make\.farm\.spec: Too big/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

/** Every package a command imports from node_modules, as a resolve hook sees them. */
function packagesLoaded(...args: string[]): Promise<Set<string>> {
  const hook = `
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url);
      if (m) process.stderr.write('loaded ' + m[1] + '\\n');
      return r;
    }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        'bin/mchair.js',
        ...args,
      ],
      (err, _stdout, stderr) => {
        if (err) reject(new Error(stderr));
        const names = stderr.split('\n').filter((l) => l.startsWith('loaded '));
        resolve(new Set(names.map((l) => l.slice('loaded '.length))));
      },
    );
  });
}

describe('a command loads only its rooms', () => {
  it('mchair plan loads the planner, not ssh2, onnxruntime, the protocol or the reports', async () => {
    const loaded = await packagesLoaded(
      '--data-dir',
      join(dir, 'data'),
      'plan',
      '--model',
      'vgg16',
      '--devices',
      'pi3:2,pi4:2',
      '--json',
    );
    // The hook sees them: the model room reads ONNX through onnx-proto, the log is pino.
    expect(loaded).toContain('onnx-proto');
    expect(loaded).toContain('pino');
    for (const heavy of ['ssh2', 'onnxruntime-node', 'avsc', 'playwright-core', 'pngjs', 'jpeg-js'])
      expect(loaded, heavy).not.toContain(heavy);
  });

  it('mchair --help still lists every area', async () => {
    const r = await runMchair('--help');
    expect(r.code).toBe(0);
    for (const area of ['demo', 'run', 'farm', 'plan', 'devices', 'report', 'classify'])
      expect(r.stdout).toMatch(new RegExp(`^  ${area}\\b`, 'm'));
  });
});
