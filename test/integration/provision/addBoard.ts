// `mchair devices add` of a test board behind a real sshd, as the board-run tests add theirs: a
// key login, the x86-laptop profile (the planner plans on it) and an agent port of its own, since
// agents of other tests on this machine may hold the default one.
import { freePort, type KeyPair, type Sshd, type TestUser } from '../ssh/sshd';

export async function addBoardArgs(
  name: string,
  board: {
    sshd: Pick<Sshd, 'host' | 'port'>;
    user: Pick<TestUser, 'name'>;
    key: Pick<KeyPair, 'privateFile'>;
  },
  ...extra: string[]
): Promise<string[]> {
  return [
    'devices',
    'add',
    name,
    '--host',
    board.sshd.host,
    '--port',
    String(board.sshd.port),
    '--user',
    board.user.name,
    '--key',
    board.key.privateFile,
    // Defaults a test may override in `extra` (an emulated arm board is a pi4 on port 7700).
    ...(extra.includes('--profile') ? [] : ['--profile', 'x86-laptop']),
    ...(extra.includes('--agent-port')
      ? []
      : ['--agent-port', String(await freePort('127.0.0.1'))]),
    ...extra,
  ];
}
