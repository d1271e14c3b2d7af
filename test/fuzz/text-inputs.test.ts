// Issue 9.4, property-based fuzzing of the text inputs a user or an instrument hands the app: a
// device CSV and an ssh config (imported into an inventory), a power meter's CSV log, a board's
// tegrastats and PMIC lines, meter URIs and farm files. Random and mutated valid texts: each is
// accepted or refused with a one-line AppError, never another exception (see budget.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseImport } from '../../src-main/inventory/import';
import { Inventory } from '../../src-main/inventory/inventory';
import { farmFromFile } from '../../src-main/planner/farm';
import { parsePowerLog } from '../../src-main/power/csvlog';
import { railsFromTegrastats } from '../../src-main/power/rails';
import { parseMeterUri } from '../../src-main/power/uri';
import { RailsGarbageError, railsFromPmic } from '../../remote-agent/src/rails';
import { refusedOrOk } from './budget';

/** Cases per property: these parsers are cheap, and the binary decoders get the 10,000. */
const RUNS = 3000;
const fixtures = join(process.cwd(), 'test', 'unit', 'power', 'fixtures');

/** A valid text with a few characters replaced, inserted or deleted (structure characters often). */
function mutated(valid: string): fc.Arbitrary<string> {
  const char = fc.oneof(
    fc.constantFrom(
      ',',
      '"',
      '\n',
      '\r',
      ';',
      '\t',
      '=',
      '#',
      ' ',
      '{',
      '}',
      '[',
      ']',
      ':',
      '-',
      '.',
      'e',
      '0',
      '\u0000',
      '\u001b',
      'é',
    ),
    fc.string({ minLength: 1, maxLength: 1 }),
  );
  const edit = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('set', 'insert', 'delete'),
    c: char,
  });
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let s = valid;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      if (e.kind === 'set') s = s.slice(0, at) + e.c + s.slice(at + 1);
      else if (e.kind === 'insert') s = s.slice(0, at) + e.c + s.slice(at);
      else s = s.slice(0, at) + s.slice(at + 1);
    }
    return s;
  });
}

const text = (valid: string) =>
  fc.oneof(
    mutated(valid),
    fc.string({ maxLength: 200 }),
    fc.string({ maxLength: 200, unit: 'binary' }),
  );

/** Imports into an empty in-memory inventory, validating every device as the CLI does. */
async function importInto(path: string, t: string): Promise<void> {
  const inv = await Inventory.load(join(process.cwd(), 'no-such-inventory.json'));
  refusedOrOk(() => {
    for (const d of parseImport(path, t)) inv.add(d, { replace: true });
  });
}

describe('text inputs under fuzzing', () => {
  it('device CSV files', async () => {
    const valid =
      'name,host,user,port,auth,key,agent_port,profile,jump\npi-1,10.0.0.1,pi,22,key,/k,7700,pi3,me@gw:2222\n"pi-2",10.0.0.2,pi,,,,,,\n';
    await fc.assert(
      fc.asyncProperty(text(valid), (t) => importInto('boards.csv', t)),
      { numRuns: RUNS },
    );
  });

  it('ssh configs', async () => {
    const valid =
      'Host pi-*\n  User pi\n  IdentityFile ~/.ssh/id_lab\nHost pi-1\n  HostName 10.0.0.1\n  Port 2222\n  ProxyJump me@gw\nMatch all\n';
    await fc.assert(
      fc.asyncProperty(text(valid), (t) => importInto('ssh_config', t)),
      { numRuns: RUNS },
    );
  });

  it('power meter CSV logs', () => {
    const valid = 'time (s),power (W)\n0.0,4.1\n0.5,4.3\n1.0,5.9e0\n';
    fc.assert(
      fc.property(text(valid), (t) => void refusedOrOk(() => parsePowerLog('meter.csv', t))),
      { numRuns: RUNS },
    );
  });

  it('tegrastats lines and PMIC readings from a board', () => {
    const tegra = readFileSync(join(fixtures, 'tegrastats-r32.txt'), 'utf8').split('\n')[0]!;
    const pmic = readFileSync(
      join(process.cwd(), 'remote-agent', 'test', 'fixtures', 'pmic_read_adc.txt'),
      'utf8',
    );
    fc.assert(
      fc.property(text(tegra), (t) => void refusedOrOk(() => railsFromTegrastats(0, t))),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        text(pmic),
        (t) => void refusedOrOk(() => railsFromPmic(0, t), RailsGarbageError),
      ),
      { numRuns: RUNS },
    );
  });

  it('meter URIs', () => {
    const valid = 'scpi+wt300://127.0.0.1:10001?interval=0.5&setup=:INPUT:MODE%20RMS';
    fc.assert(
      fc.property(text(valid), (t) => void refusedOrOk(() => parseMeterUri(t))),
      { numRuns: RUNS },
    );
  });

  it('farm files', () => {
    const valid = JSON.stringify({
      devices: [
        { id: 'a', profile: 'pi3' },
        { id: 'b', profile: 'tx2-gpu', medium: 'eth' },
      ],
      media: [{ id: 'eth', kind: 'switched', mbps: 100 }],
    });
    const json = fc.oneof(
      text(valid).map((t) => {
        try {
          return JSON.parse(t) as unknown;
        } catch {
          return t;
        }
      }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(json, (v) => void refusedOrOk(() => farmFromFile(v, 'farm.json'))),
      { numRuns: RUNS },
    );
  });
});
