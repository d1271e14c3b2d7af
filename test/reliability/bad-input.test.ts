// Issue 9.4, bad input files through the real CLI: plan, farm, manifest, inventory, device CSV,
// meter CSV log and ONNX files that are truncated, binary, of the wrong shape or hostile, and
// shell metacharacters in every device field that reaches a remote shell. Each must end with
// exit 1, nothing on stdout, exactly one line on stderr that names what to fix (and no control
// character that could drive the terminal), and every input file byte for byte as it was.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildZooModel, encodeModel, partitionModel } from '../../src-main/model/index';
import { GraphWriter } from '../unit/model/exporters';
import { tempDir } from '../integration/ssh/sshd';
import { CLI } from '../security/terminal';

const dir = tempDir('mchair-bad-input');
const data = join(dir, 'data');
const file = (name: string, content: string | Uint8Array): string => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
};

/** sha256 of every file under the test folder: what "nothing lost" is checked against. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    try {
      out.set(name, createHash('sha256').update(readFileSync(p)).digest('hex'));
    } catch {
      // a folder
    }
  }
  return out;
}

interface Case {
  what: string;
  args: () => string[];
  /** What the one line must say: the file or field at fault and what to do. */
  says: RegExp;
}

let goodInventory: string;
let goodPlan: string;
let partsDir: string;

beforeAll(async () => {
  partsDir = join(dir, 'parts');
  await partitionModel(buildZooModel('tiny-cnn', { seed: 1 }), { cuts: ['pool1'] }, partsDir);
  const inv = spawnSync(
    process.execPath,
    [
      CLI,
      '--data-dir',
      data,
      'devices',
      'add',
      'pi-1',
      '--inventory',
      join(dir, 'inventory.json'),
      '--host',
      '10.0.0.1',
      '--user',
      'pi',
    ],
    { encoding: 'utf8' },
  );
  expect(inv.status, inv.stderr).toBe(0);
  goodInventory = join(dir, 'inventory.json');
  const plan = spawnSync(
    process.execPath,
    [
      CLI,
      '--data-dir',
      data,
      'plan',
      '--model',
      'tiny-cnn',
      '--devices',
      'pi3:2',
      '--out',
      join(dir, 'plan.json'),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  expect(plan.status, plan.stderr).toBe(0);
  goodPlan = readFileSync(join(dir, 'plan.json'), 'utf8');
}, 120_000);

const binary = Uint8Array.from([0, 1, 2, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0xff, 0xfe, 0x7f, 0x9b]);
const manifestWith = (edit: (m: Record<string, unknown>) => void): string => {
  const m = JSON.parse(readFileSync(join(partsDir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  edit(m);
  return JSON.stringify(m);
};
/** A copy of the good partitions whose manifest.json is `manifest`. */
function partitions(name: string, manifest: string | Uint8Array): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const f of readdirSync(partsDir))
    if (f.endsWith('.onnx')) writeFileSync(join(d, f), readFileSync(join(partsDir, f)));
  writeFileSync(join(d, 'manifest.json'), manifest);
  return d;
}
const planWith = (edit: (p: Record<string, unknown>) => void): string => {
  const p = JSON.parse(goodPlan) as Record<string, unknown>;
  edit(p);
  return JSON.stringify(p);
};

const cases: Case[] = [
  // Plans: `mchair partition --plan`, `verify --plan`, `run --plan`.
  {
    what: 'a truncated plan',
    args: () => [
      'partition',
      '--model',
      'tiny-cnn',
      '--plan',
      file('plan-cut.json', goodPlan.slice(0, 200)),
      '--out',
      join(dir, 'out-1'),
    ],
    says: /plan-cut\.json.*JSON/,
  },
  {
    what: 'a binary plan',
    args: () => [
      'partition',
      '--model',
      'tiny-cnn',
      '--plan',
      file('plan-bin.json', binary),
      '--out',
      join(dir, 'out-2'),
    ],
    says: /plan-bin\.json/,
  },
  {
    what: 'a plan of another shape',
    args: () => [
      'verify',
      '--model',
      'tiny-cnn',
      '--plan',
      file('plan-shape.json', '{"version":1,"stages":"all"}'),
    ],
    says: /plan.*(model|stages)/,
  },
  {
    what: 'a plan made for another model',
    args: () => [
      'partition',
      '--model',
      'tiny-cnn',
      '--plan',
      file(
        'plan-model.json',
        planWith((p) => ((p.stages as Array<Record<string, unknown>>)[0]!.input = 'data_0')),
      ),
      '--out',
      join(dir, 'out-3'),
    ],
    says: /plan stage s0 reads "data_0" but the tensor before it is "input"/,
  },
  {
    what: 'a plan that ends at a tensor the model lacks',
    args: () => [
      'partition',
      '--model',
      'tiny-cnn',
      '--plan',
      file(
        'plan-end.json',
        planWith(
          (p) => ((p.stages as Array<Record<string, unknown>>).at(-1)!.output = 'no-such-tensor'),
        ),
      ),
      '--out',
      join(dir, 'out-4'),
    ],
    says: /plan ends at "no-such-tensor" but the model's output is "probs"/,
  },
  {
    what: 'a truncated plan given to run',
    args: () => [
      'run',
      '--model',
      'tiny-cnn',
      '--plan',
      file('plan-run.json', goodPlan.slice(0, 100)),
      '--emulate',
      'pi3:2',
      '--frames',
      '2',
    ],
    says: /plan-run\.json/,
  },
  // Farm files: `mchair plan --farm`.
  {
    what: 'a truncated farm file',
    args: () => ['plan', '--model', 'tiny-cnn', '--farm', file('farm-cut.json', '{"devices":[')],
    says: /farm-cut\.json/,
  },
  {
    what: 'a farm device id with shell metacharacters',
    args: () => [
      'plan',
      '--model',
      'tiny-cnn',
      '--farm',
      file('farm-id.json', '{"devices":[{"id":"pi;reboot","profile":"pi3"}]}'),
    ],
    says: /farm-id\.json.*devices\.0\.id/,
  },
  {
    what: 'a farm device of an unknown profile',
    args: () => [
      'plan',
      '--model',
      'tiny-cnn',
      '--farm',
      file('farm-prof.json', '{"devices":[{"id":"a","profile":"cray-1"}]}'),
    ],
    says: /cray-1.*choose from/,
  },
  // Manifests: `mchair provision --partitions` reads manifest.json before connecting anywhere.
  {
    what: 'a truncated manifest',
    args: () => [
      'provision',
      '--inventory',
      goodInventory,
      '--partitions',
      partitions('p-cut', '{"model":'),
    ],
    says: /p-cut\/manifest\.json.*not JSON/,
  },
  {
    what: 'a manifest whose part file leaves the folder',
    args: () => [
      'provision',
      '--inventory',
      goodInventory,
      '--partitions',
      partitions(
        'p-escape',
        manifestWith(
          (m) =>
            ((m.stages as Array<{ parts: Array<Record<string, unknown>> }>)[0]!.parts[0]!.file =
              '../../etc/passwd'),
        ),
      ),
    ],
    says: /manifest\.json, a manifest: stage 1 \(s0\): part 1 \(\.\.\/\.\.\/etc\/passwd\): "file" .*must be a plain file name/,
  },
  {
    what: 'a manifest whose hash does not match its part',
    args: () => [
      'provision',
      '--inventory',
      goodInventory,
      '--partitions',
      partitions(
        'p-sha',
        manifestWith(
          (m) =>
            ((m.stages as Array<{ parts: Array<Record<string, unknown>> }>)[0]!.parts[0]!.sha256 =
              '0'.repeat(64)),
        ),
      ),
    ],
    says: /does not match its manifest.*partition the model again/,
  },
  {
    what: 'a binary manifest',
    args: () => [
      'provision',
      '--inventory',
      goodInventory,
      '--partitions',
      partitions('p-bin', binary),
    ],
    says: /p-bin\/manifest\.json/,
  },
  // Inventories.
  {
    what: 'a truncated inventory',
    args: () => [
      'devices',
      'list',
      '--inventory',
      file('inv-cut.json', '{"version":1,"devices":['),
    ],
    says: /inv-cut\.json is not JSON/,
  },
  {
    what: 'an inventory whose host holds a command',
    args: () => [
      'devices',
      'list',
      '--inventory',
      file(
        'inv-host.json',
        JSON.stringify({ version: 1, devices: [{ name: 'pi', host: '$(reboot)', user: 'pi' }] }),
      ),
    ],
    says: /inv-host\.json, an inventory: device 1 \(pi\): "host" \("\$\(reboot\)"\)/,
  },
  {
    what: 'an inventory listing a board twice',
    args: () => [
      'devices',
      'list',
      '--inventory',
      file(
        'inv-twice.json',
        JSON.stringify({
          version: 1,
          devices: [
            { name: 'pi', host: 'a', user: 'pi' },
            { name: 'pi', host: 'b', user: 'pi' },
          ],
        }),
      ),
    ],
    says: /"pi" is listed twice/,
  },
  {
    what: 'a binary inventory',
    args: () => ['devices', 'list', '--inventory', file('inv-bin.json', binary)],
    says: /inv-bin\.json is not JSON/,
  },
  // Device CSV imports, into the good inventory (which must stay as it was).
  {
    what: 'a CSV row whose host holds a command',
    args: () => [
      'devices',
      'import',
      file('hosts-cmd.csv', 'name,host,user\npi-2,10.0.0.2,pi\npi-3,$(reboot),pi\n'),
      '--inventory',
      goodInventory,
    ],
    says: /hosts-cmd\.csv: device "pi-3": host: a host name/,
  },
  {
    what: 'a CSV row whose user holds a command',
    args: () => [
      'devices',
      'import',
      file('users-cmd.csv', 'name,host,user\npi-4,10.0.0.4,`id`\n'),
      '--inventory',
      goodInventory,
    ],
    says: /users-cmd\.csv: device "pi-4": user: a Unix user name/,
  },
  {
    what: 'a CSV name with a newline and an escape sequence',
    args: () => [
      'devices',
      'import',
      file('names.csv', 'name,host,user\n"pi\n\u001b[2J",10.0.0.5,pi\n'),
      '--inventory',
      goodInventory,
    ],
    says: /name/,
  },
  {
    what: 'a CSV with an unclosed quote',
    args: () => [
      'devices',
      'import',
      file('quote.csv', 'name,host,user\n"pi-6,10.0.0.6,pi\n'),
      '--inventory',
      goodInventory,
    ],
    says: /quote\.csv: a quoted field is not closed/,
  },
  {
    what: 'a CSV without a host column',
    args: () => [
      'devices',
      'import',
      file('nohost.csv', 'name,address,user\npi-7,10.0.0.7,pi\n'),
      '--inventory',
      goodInventory,
    ],
    says: /nohost\.csv.*(address|host)/,
  },
  {
    what: 'a binary CSV',
    args: () => ['devices', 'import', file('bin.csv', binary), '--inventory', goodInventory],
    says: /bin\.csv/,
  },
  // Shell metacharacters typed on the command line.
  ...[
    ['name', ['pi;reboot', '--host', '10.0.0.9', '--user', 'pi'], /name/],
    ['host', ['pi-9', '--host', 'a;reboot', '--user', 'pi'], /host/],
    ['host', ['pi-9', '--host', '-oProxyCommand=reboot', '--user', 'pi'], /host/],
    ['user', ['pi-9', '--host', '10.0.0.9', '--user', 'pi$(reboot)'], /user/],
    [
      'profile',
      ['pi-9', '--host', '10.0.0.9', '--user', 'pi', '--profile', 'pi3;reboot'],
      /profile/,
    ],
    [
      'agent port',
      ['pi-9', '--host', '10.0.0.9', '--user', 'pi', '--agent-port', '7700;reboot'],
      /agent.?port|port/i,
    ],
    ['jump host', ['pi-9', '--host', '10.0.0.9', '--user', 'pi', '--jump', 'me@gw;reboot'], /jump/],
  ].map(([field, args, says]) => ({
    what: `a device ${field as string} with shell metacharacters`,
    args: () => ['devices', 'add', ...(args as string[]), '--inventory', goodInventory],
    says: says as RegExp,
  })),
  // Meter CSV logs: `mchair power read --meter csv://FILE`.
  {
    what: 'a meter log with a word for watts',
    args: () => [
      'power',
      'read',
      '--json',
      '--meter',
      `csv://${file('meter-word.csv', 'time,watts\n0,1.5\n1,abc\n')}`,
    ],
    says: /meter-word\.csv line 3: watts is not a number/,
  },
  {
    what: 'a binary meter log',
    args: () => ['power', 'read', '--json', '--meter', `csv://${file('meter-bin.csv', binary)}`],
    says: /meter-bin\.csv.*header/,
  },
  // ONNX: a node name made to break the line and clear the screen.
  {
    what: 'an ONNX file whose names hold a newline and an escape sequence',
    args: () => {
      const g = new GraphWriter();
      g.node('Einsum', ['x'], ['y'], {}, 'evil\n\u001b[2J');
      const m = g.model({
        name: 'evil',
        irVersion: 8,
        opset: 13,
        input: { name: 'x', shape: [1, 4] },
        output: { name: 'y', shape: [1, 4] },
      });
      return ['model', 'inspect', file('evil.onnx', encodeModel(m))];
    },
    says: /evil\.onnx|Einsum/,
  },
  {
    what: 'a truncated ONNX file',
    args: () => [
      'model',
      'inspect',
      file('cut.onnx', encodeModel(buildZooModel('tiny-cnn')).subarray(0, 5000)),
    ],
    says: /cut\.onnx.*(truncated|not an ONNX)/,
  },
];

describe('bad input files: one line naming what to fix, exit 1, nothing lost', () => {
  for (const c of cases) {
    it(c.what, () => {
      const args = c.args();
      const before = snapshot();
      const r = spawnSync(process.execPath, [CLI, '--data-dir', data, ...args], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^mchair: [^\n]+\n$/);
      expect(r.stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(r.stderr).toMatch(c.says);
      // Nothing lost or half-written: every file as it was, and no new one beside them.
      const after = snapshot();
      for (const [name, sha] of before) expect(after.get(name), name).toBe(sha);
      const added = [...after.keys()].filter((n) => !before.has(n) && !n.startsWith('data'));
      expect(added).toEqual([]);
      for (const out of ['out-1', 'out-2', 'out-3', 'out-4'])
        expect(existsSync(join(dir, out, 'manifest.json'))).toBe(false);
    });
  }
});
