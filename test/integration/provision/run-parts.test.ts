// pushRunParts against a real OpenSSH server: a 24 MiB part file reaches the board's parts folder
// under its sha256 with byte progress on the way, a second push sends nothing, a part on a board
// that is not among the run's is refused in one sentence, and a cancelled push stops.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../src-main/contract/index';
import { BoardRecord } from '../../../src-main/inventory/boardRecord';
import { MemorySecretStore } from '../../../src-main/inventory/secrets';
import { pushRunParts, type RunBoards } from '../../../src-main/provision/runParts';
import { Connector } from '../../../src-main/ssh/connector';
import { nobodyToAsk } from '../../../src-main/ssh/prompter';
import { startBoard, tempDir, type Board } from '../ssh/sshd';

const SIZE = 24 * 2 ** 20;

let dir: string;
let board: Board;
let boards: RunBoards;
let manifest: Manifest;
let sha256: string;

beforeAll(async () => {
  dir = tempDir('mchair-run-parts');
  board = await startBoard(dir, { userPrefix: 'mcq' });
  const { sshd, user, key } = board;
  const bytes = randomBytes(SIZE);
  sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 's0.p0.onnx'), bytes);
  // Only the fields a push reads matter here: the file, its sha256 and the stage layout.
  manifest = {
    model: 'random-bytes',
    input: { name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3] },
    output: 'probs',
    stages: [
      {
        id: 's0',
        parts: [{ file: 's0.p0.onnx', sha256, inputs: ['input'], outputs: ['probs'] }],
      },
    ],
  };
  boards = {
    devices: [
      BoardRecord.parse({
        name: 'board-1',
        host: sshd.host,
        port: sshd.port,
        user: user.name,
        auth: { type: 'key', file: key.privateFile },
        remoteDir: 'agent home',
      }),
    ],
    connector: await Connector.create({
      dataDir: join(dir, 'data'),
      acceptNew: true,
      prompter: nobodyToAsk,
      secrets: new MemorySecretStore(),
    }),
  };
}, 60_000);

afterAll(async () => {
  await board?.stop();
});

describe('pushing a run its parts over SFTP', () => {
  it('sends the missing part under its sha256, with byte progress up to the whole file', async () => {
    const progress: number[] = [];
    const pushed = await pushRunParts(manifest, dir, [[['board-1']]], boards, {
      onProgress: (device, done, total) => {
        expect([device, total]).toEqual(['board-1', SIZE]);
        progress.push(done);
      },
    });
    expect(pushed.sent.get('board-1')).toEqual({ files: 1, bytes: SIZE });
    expect(pushed.manifest.stages[0]!.parts[0]!.file).toBe(`${sha256}.onnx`);
    const there = readFileSync(join(board.user.home, 'agent home', 'parts', `${sha256}.onnx`));
    expect(createHash('sha256').update(there).digest('hex')).toBe(sha256);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(SIZE);
  }, 120_000);

  it('sends nothing when the board has the part already', async () => {
    const progress: number[] = [];
    const pushed = await pushRunParts(manifest, dir, [[['board-1']]], boards, {
      onProgress: (_d, done) => progress.push(done),
    });
    expect(pushed.sent.get('board-1')).toEqual({ files: 0, bytes: 0 });
    expect(progress).toEqual([]);
  });

  it("refuses a part on a board that is not among the run's", async () => {
    await expect(pushRunParts(manifest, dir, [[['board-9']]], boards)).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      message: `the plan puts a part on "board-9", which is not among the run's boards`,
    });
  });

  it('stops a push that is cancelled', async () => {
    const other = { ...boards, devices: [{ ...boards.devices[0]!, remoteDir: 'other home' }] };
    const abort = new AbortController();
    const push = pushRunParts(manifest, dir, [[['board-1']]], other, {
      signal: abort.signal,
      onProgress: (_d, done) => {
        if (done > 0) abort.abort();
      },
    });
    await expect(push).rejects.toMatchObject({ code: 'CANCELLED' });
  }, 120_000);
});
