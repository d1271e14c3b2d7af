// Issue 9.3, secrets: flows that use each kind of secret through the real CLI (a password and a
// passphrase-protected key against a real sshd, typed on a real terminal, each used to provision
// a board; the `mchair serve` token; a password a page hands serve, which then provisions a board
// with it over the contract), at the most talkative log level, then every line shown, every event
// and reply a page received, every file the app wrote (inventory, known_hosts, run records,
// reports) and every file pushed to the board are searched for the secret strings. Provisioning
// uses the farm CA key (it issues each board's certificate): its PEM body is searched for in all
// of them too, and the board's files must not hold it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildZooModel, partitionModel } from '../../src-main/model/index';
import {
  createLab,
  startBoard,
  tempDir,
  type Board,
  type KeyPair,
  type Lab,
  type Sshd,
  type TestUser,
} from '../integration/ssh/sshd';
import { openPage, rawRequest, startServe } from './serve';
import { CLI, onTerminal } from './terminal';

let dir: string;
let dataDir: string;
let inventory: string;
let partsDir: string;
let lab: Lab;
let board: Board;
let user: TestUser;
let sshd: Sshd;
let key: KeyPair;
const passphrase = `pp-${randomBytes(9).toString('base64url')}`;
const wrongPassword = `wrong-${randomBytes(9).toString('base64url')}`;
const wrongPassphrase = `wrong-${randomBytes(9).toString('base64url')}`;
/** A password a page hands `mchair serve` to keep (devices/save-password). */
const pagePassword = `page-${randomBytes(9).toString('base64url')}`;
/** Everything the CLI showed, across all the flows. */
const screens: string[] = [];

function mchair(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  screens.push(r.stdout, r.stderr);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `mchair devices add NAME` of a device that logs in to the board's user (`extra`: how). */
function addBoardDevice(name: string, ...extra: string[]): void {
  const r = mchair('devices', 'add', name, '--host', sshd.host, '--user', user.name, ...extra);
  expect(r.code, r.stderr).toBe(0);
}

/** The CLI at trace level on a terminal; its screen joins the ones searched at the end. */
async function talkative(
  args: string[],
  answers: Array<[RegExp, string]>,
): Promise<{ code: number; screen: string }> {
  const r = await onTerminal(['--data-dir', dataDir, '--log-level', 'trace', ...args], answers);
  screens.push(r.screen);
  return r;
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under `root` whose bytes contain any of `needles`, as "file: needle" lines. */
function filesHolding(root: string, needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const f of filesUnder(root)) {
    // Large files are the runtime's binaries and model weights, written by us, never secrets.
    if (statSync(f).size > 64 * 2 ** 20) continue;
    const bytes = readFileSync(f);
    for (const n of needles)
      if (bytes.includes(n)) hits.push(`${relative(root, f)}: ${n.slice(0, 20)}`);
  }
  return hits;
}

/** The lines of a PEM body, which is what a leaked key would show even if reformatted. */
function pemBody(pem: string): string[] {
  return pem.split('\n').filter((l) => l && !l.startsWith('-----'));
}

beforeAll(async () => {
  dir = tempDir('mchair-secrets');
  dataDir = join(dir, 'data');
  inventory = join(dir, 'inventory.json');
  lab = createLab(1);
  const ns = lab.boards[0]!;
  board = await startBoard(dir, {
    userPrefix: 'mcs',
    passphrase,
    sshd: { host: ns.boardAddress, netns: ns.name },
  });
  ({ sshd, user, key } = board);
  partsDir = join(dir, 'parts');
  await partitionModel(buildZooModel('tiny-cnn', { seed: 5 }), { cuts: [] }, partsDir);
  addBoardDevice('pw-board', '--inventory', inventory, '--password', '--profile', 'x86-laptop');
  addBoardDevice(
    'key-board',
    ...['--inventory', inventory, '--key', key.privateFile, '--profile', 'x86-laptop'],
    ...['--agent-port', '7701', '--remote-dir', '.mchair-key'],
  );
}, 180_000);

afterAll(async () => {
  await board?.stop();
  lab?.remove();
});

describe('no secret in output, logs, records or on the board', () => {
  it('provisions a board logging in by password; the farm CA key stays on the laptop', async () => {
    const r = await talkative(
      ['provision', 'pw-board', '--inventory', inventory, '--accept-new', '--partitions', partsDir],
      [[/Password for /, user.password]],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/1 device\(s\) provisioned/);
    expect(r.screen).not.toContain(user.password);

    const caKey = readFileSync(join(dataDir, 'pki', 'ca.key'), 'utf8');
    const agentDir = join(user.home, '.mchair-agent');
    expect(readdirSync(join(agentDir, 'tls')).sort()).toEqual([
      'ca.pem',
      'pw-board.key',
      'pw-board.pem',
    ]);
    expect(filesUnder(agentDir).filter((f) => /ca\.key$/.test(f))).toEqual([]);
    expect(filesHolding(agentDir, pemBody(caKey))).toEqual([]);
    // The board's own key did reach it (the search above can find a key).
    const boardKey = readFileSync(join(dataDir, 'pki', 'pw-board.key'), 'utf8');
    expect(filesHolding(agentDir, pemBody(boardKey).slice(0, 1))).toHaveLength(1);
  });

  it('probes with a passphrase-protected key', async () => {
    const r = await talkative(
      ['devices', 'probe', 'key-board', '--inventory', inventory],
      [[/Passphrase for /, passphrase]],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/runtime native/);
    expect(r.screen).not.toContain(passphrase);
  });

  it('provisions a board logging in with a passphrase-protected key', async () => {
    const r = await talkative(
      [
        'provision',
        'key-board',
        '--inventory',
        inventory,
        '--accept-new',
        '--partitions',
        partsDir,
      ],
      [[/Passphrase for /, passphrase]],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/1 device\(s\) provisioned/);
    expect(r.screen).not.toContain(passphrase);
    expect(readdirSync(join(user.home, '.mchair-key', 'tls')).sort()).toEqual([
      'ca.pem',
      'key-board.key',
      'key-board.pem',
    ]);
  });

  it('runs on each board, its parts pushed over SSH (password, then passphrase), checked', async () => {
    // The run's coordinator holds an identity of the farm CA; its record and report are searched
    // at the end with the rest.
    const boards: Array<[string, [RegExp, string]]> = [
      ['pw-board', [/Password for /, user.password]],
      ['key-board', [/Passphrase for /, passphrase]],
    ];
    for (const [board, answer] of boards) {
      const r = await talkative(
        [
          ...['run', '--model', 'tiny-cnn', '--devices', board, '--inventory', inventory],
          ...['--plan', 'auto', '--frames', '12', '--check'],
        ],
        [answer],
      );
      expect(r.code, r.screen).toBe(0);
      expect(r.screen).toMatch(/12\/12 completed, 0 lost, 0 duplicated, 0 mismatched/);
    }
  });

  it('refuses a wrong password and a wrong passphrase without echoing them', async () => {
    const pw = await talkative(
      ['devices', 'probe', 'pw-board', '--inventory', inventory],
      [[/Password for /, wrongPassword]],
    );
    expect(pw.code, pw.screen).toBe(1);
    expect(pw.screen).toMatch(/AUTH_FAILED/);
    const pp = await talkative(
      ['devices', 'probe', 'key-board', '--inventory', inventory],
      [[/Passphrase for /, wrongPassphrase]],
    );
    expect(pp.code, pp.screen).toBe(1);
    expect(pp.screen).toMatch(/passphrase for .* is wrong/);
  });

  it('serve: the token is printed once for the user and appears in no log or record', async () => {
    // A board of the data folder's own inventory, whose password a page will hand over.
    expect(
      mchair('devices', 'add', 'srv-board', '--host', '10.0.0.9', '--user', 'pi', '--password')
        .code,
    ).toBe(0);
    const serve = await startServe(dataDir);
    const { port, token } = serve;
    try {
      const page = await openPage(port, token);
      try {
        // A page with the token starts a demo run over the socket and waits for it to finish.
        const started = await page.call('demo/start', { frames: 10 });
        expect(started).toMatchObject({ ok: true });
        const { runId } = started.result as { runId: string };
        const ended = await page.event(
          'run/state',
          (p) => p.runId === runId && ['done', 'failed', 'stopped'].includes(String(p.state)),
        );
        expect(ended).toMatchObject({ state: 'done' });
        // A password handed over by the page: saved for a known board, refused for an unknown
        // one and with arguments the contract does not know.
        expect(
          await page.call('devices/save-password', { name: 'srv-board', password: pagePassword }),
        ).toMatchObject({ ok: true, result: { saved: true } });
        expect(
          await page.call('devices/save-password', {
            name: 'no-such-board',
            password: pagePassword,
          }),
        ).toMatchObject({
          ok: false,
          error: {
            code: 'DEVICE_UNKNOWN',
            message: expect.stringContaining('no device named "no-such-board"'),
          },
        });
        expect(
          await page.call('devices/save-password', {
            name: 'srv-board',
            password: pagePassword,
            extra: pagePassword,
          }),
        ).toMatchObject({
          ok: false,
          error: {
            code: 'BAD_INPUT',
            message: expect.stringMatching(/^devices\/save-password.*"extra"/),
          },
        });
        expect(page.frames.filter((f) => f.includes(pagePassword))).toEqual([]);
      } finally {
        // Events and replies the page received are searched with the rest.
        screens.push(...page.frames);
        page.close();
      }
      // Refused sockets and odd requests that carry the token are logged: the token must not be.
      const refused = new WebSocket(`ws://127.0.0.1:${port}/contract?token=${token}`, {
        headers: { Origin: 'http://evil.example' },
      });
      const refusal = await new Promise<Error>((resolve, reject) =>
        refused
          .once('error', resolve)
          .once('open', () => reject(new Error('a page of another origin got the socket'))),
      );
      expect(refusal.message).toBe('Unexpected server response: 403');
      for (const [path, status] of [
        [`/?token=${token}`, /^HTTP\/1\.1 \d{3} /],
        [`/nope.js?token=${token}`, /^HTTP\/1\.1 404 /],
        [`//[x?token=${token}`, /^HTTP\/1\.1 400 /],
      ] as const) {
        const answer = await rawRequest(
          port,
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
        );
        expect(answer).toMatch(status);
      }
    } finally {
      await serve.stop();
    }
    const stderr = serve.stderr();
    expect(serve.stdoutLines).toHaveLength(1);
    expect(stderr).toContain(
      'socket refused: origin \\"http://evil.example\\" is not this server\'s page',
    );
    screens.push(stderr);
    expect(stderr).not.toContain(token);
    expect(stderr).not.toContain(pagePassword);
    expect(filesHolding(join(dataDir, 'runs'), [token])).toEqual([]);
  });

  it('serve: a password a page saved provisions a board; no event, reply or log holds it', async () => {
    // Two boards of the data folder's own inventory on the real sshd: one whose password the
    // page gets right, one it gets wrong.
    for (const [name, port] of [
      ['srv-pw', '7702'],
      ['srv-wrong', '7703'],
    ] as const)
      addBoardDevice(name, '--password', '--agent-port', port, '--remote-dir', `.mchair-${name}`);
    const serve = await startServe(dataDir);
    try {
      const page = await openPage(serve.port, serve.token);
      try {
        // One after the other: a saved password belongs to the login (user@host:port), which
        // both boards share.
        const provision = async (name: string, password: string) => {
          expect(await page.call('devices/save-password', { name, password })).toMatchObject({
            ok: true,
          });
          const done = await page.call(
            'provision/start',
            { devices: [name], acceptedOnce: [sshd.hostKeyFingerprint()] },
            240_000,
          );
          const [result] =
            (done as { result?: { devices: Array<{ status: string; code: string | null }> } })
              .result?.devices ?? [];
          expect(result, JSON.stringify(done)).toBeDefined();
          return result!;
        };
        expect(await provision('srv-pw', user.password)).toMatchObject({ status: 'ok' });
        expect(await provision('srv-wrong', wrongPassword)).toMatchObject({
          status: 'failed',
          code: 'AUTH_FAILED',
        });
        // The provisioning was seen as events: those are searched too.
        expect(page.frames.some((f) => f.includes('"provision/progress"'))).toBe(true);
      } finally {
        screens.push(...page.frames);
        page.close();
      }
    } finally {
      await serve.stop();
      screens.push(serve.stderr());
    }
    expect(serve.stderr()).toMatch(/provision/);
  });

  it('a damaged agent command line on the board is named in one line (9.4)', async () => {
    const argvFile = join(user.home, '.mchair-agent', 'argv.json');
    const good = readFileSync(argvFile);
    writeFileSync(argvFile, '["/usr/bin/node", "agent.mjs"');
    try {
      const r = await talkative(
        ['devices', 'service', 'restart', 'pw-board', '--inventory', inventory],
        [[/Password for /, user.password]],
      );
      expect(r.code, r.screen).toBe(1);
      expect(r.screen).toMatch(
        /NOT_PROVISIONED: pw-board: \.mchair-agent\/argv\.json is damaged; provision it again/,
      );
      expect(r.screen).not.toMatch(/internal error/);
    } finally {
      writeFileSync(argvFile, good);
    }
  });

  it('nothing the CLI showed or the app wrote holds a secret', () => {
    // The reports of every run recorded in this data folder join what is searched.
    for (const id of readdirSync(join(dataDir, 'runs'))) {
      const json = mchair('report', id, '--format', 'json');
      expect(json.code, json.stderr).toBe(0);
      expect(mchair('report', id, '--out', join(dataDir, 'reports', `${id}.html`)).code).toBe(0);
    }
    const secrets = [user.password, passphrase, wrongPassword, wrongPassphrase, pagePassword];
    const keyLines = pemBody(readFileSync(key.privateFile, 'utf8'));
    const caLines = pemBody(readFileSync(join(dataDir, 'pki', 'ca.key'), 'utf8'));
    const screen = screens.join('\n');
    expect(screen.length).toBeGreaterThan(1000);
    for (const s of [...secrets, ...keyLines, ...caLines]) expect(screen).not.toContain(s);
    expect(screen).not.toMatch(/PRIVATE KEY/);
    // The data folder: inventory, known_hosts, run records and reports; pki/ legitimately holds
    // the TLS keys (the farm CA's too), but no SSH secret.
    expect(filesHolding(dataDir, [...secrets, ...keyLines])).toEqual([]);
    // The search finds the CA key where it belongs (so it can), and nowhere else.
    const caHits = filesHolding(dataDir, caLines);
    const inPki = (h: string) => h.startsWith(`pki${sep}ca.key:`);
    expect(caHits.some(inPki)).toBe(true);
    expect(caHits.filter((h) => !inPki(h))).toEqual([]);
    // Nor does any board folder hold the farm CA key.
    expect(filesHolding(user.home, caLines)).toEqual([]);
    expect(
      filesHolding(dir, secrets).filter((h) => !h.startsWith(relative(dir, user.home))),
    ).toEqual([]);
  });
});
