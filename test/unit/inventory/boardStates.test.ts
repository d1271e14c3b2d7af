// The boards' remembered states in the data folder: set and forgotten under the lock, a file that
// is not ours read as empty (it is a cache of the boards' answers, written again at the next
// refresh), and a state read back exactly as written.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BoardState } from '../../../src-main/contract/boards';
import {
  defaultBoardStatesPath,
  loadBoardStates,
  saveBoardStates,
} from '../../../src-main/inventory/boardStates';

let dir: string;
let path: string;
const state: BoardState = {
  agentVersion: '0.1.0+0123456789ab',
  service: { mode: 'systemd-user', state: 'active' },
  parts: [{ file: `${'c'.repeat(64)}.onnx`, bytes: 5 * 2 ** 20 }],
  lastSeen: '2026-12-06T04:00:00.000Z',
  power: null,
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mchair-states-'));
  path = defaultBoardStatesPath(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('sets, reads back and forgets boards', async () => {
  expect(await loadBoardStates(path)).toEqual(new Map());
  await saveBoardStates(
    path,
    new Map([
      ['pi-01', state],
      ['pi-02', { ...state, power: 'rebooting' }],
    ]),
  );
  expect((await loadBoardStates(path)).get('pi-01')).toEqual(state);
  await saveBoardStates(path, new Map([['pi-02', null]]));
  expect([...(await loadBoardStates(path)).keys()]).toEqual(['pi-01']);
  expect(path).toBe(join(dir, 'boards.json'));
});

it('reads a damaged file as no state, and the next save writes a good one', async () => {
  await writeFile(path, '{"version": 1, "boards": {"pi-01": {"agentVersion": 3}}}');
  expect(await loadBoardStates(path)).toEqual(new Map());
  await writeFile(path, 'not json');
  expect(await loadBoardStates(path)).toEqual(new Map());
  await saveBoardStates(path, new Map([['pi-03', state]]));
  expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
    version: 1,
    boards: { 'pi-03': state },
  });
});
