// A board's remembered state as one line: the Farm table's Status and `mchair devices list`.
import { expect, it } from 'vitest';
import { describeBoardState, type BoardState } from '../../../src-main/contract/boards';

const state: BoardState = {
  agentVersion: '0.2.0+ba9876543210',
  service: { mode: 'systemd-system', state: 'failed' },
  parts: [
    { file: 's0.onnx', bytes: 2 ** 20 },
    { file: 's1.onnx', bytes: 2 ** 19 },
  ],
  lastSeen: new Date(0).toISOString(),
  power: null,
};

it('reads as one line in the Farm table', () => {
  expect(describeBoardState(null)).toBe('not read from the board yet');
  expect(describeBoardState(state)).toMatch(
    /^agent 0\.2\.0\+ba9876543210, failed \(systemd-system\), 2 parts \(1\.5 MiB\), seen /,
  );
  expect(describeBoardState({ ...state, power: 'shut down' })).toMatch(/^shut down \(seen /);
  expect(describeBoardState({ ...state, service: null, parts: [] })).toMatch(
    /^no agent installed \(seen /,
  );
});
