// A board's remembered state as one line of the Farm table.
import { expect, it } from 'vitest';
import type { BoardState } from '../../../src-main/contract/boards';
import { describeBoardState } from '../../../src-renderer/boards';

const state: BoardState = {
  agentVersion: '0.1.0+0123456789ab',
  service: { mode: 'systemd-user', state: 'active' },
  parts: [{ file: `${'c'.repeat(64)}.onnx`, bytes: 5 * 2 ** 20 }],
  lastSeen: '2026-12-06T04:00:00.000Z',
  power: null,
};

it('reads as one line in the Farm table', () => {
  expect(describeBoardState(null)).toBe('not read from the board yet');
  expect(describeBoardState(state)).toMatch(
    /^agent 0\.1\.0\+0123456789ab, active \(systemd-user\), 1 part \(5\.0 MiB\), seen /,
  );
  expect(describeBoardState({ ...state, power: 'shut down' })).toMatch(/^shut down \(seen /);
  expect(describeBoardState({ ...state, service: null, parts: [] })).toMatch(
    /^no agent installed \(seen /,
  );
});
