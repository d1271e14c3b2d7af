// Boards of the virtual farm in network namespaces of their own, so that a chaos `cut` is a real
// network cut (the board's link set down: its sockets stay open and go silent, as behind a dead
// Wi-Fi link) instead of a stopped process. The namespaces hang on a private link local to this
// machine: a bridge in a switch namespace, one veth pair per board and one to this machine's own
// namespace, on a random 169.254.K.0/24 that no address or route of this machine is in.
// Every namespace is anonymous and held by a `cat` reading a pipe from this process (and by the
// agent started in it): however this process ends, even by SIGKILL, the pipes close, the
// namespaces go, and their veth pairs with them. Nothing is left named in /run/netns.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlink } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface BoardNetwork {
  /** This machine's address on the link: the sink, the medium and the other agents listen here. */
  host: string;
  /** The link's /24, e.g. 169.254.37.0/24 (for the record). */
  subnet: string;
  /** This machine's end of the link (a veth that disappears with the switch namespace). */
  uplink: string;
  /** Each isolated board: its namespace (a path nsenter takes) and its address on the link. */
  boards: Map<string, { netns: string; address: string }>;
  /**
   * Sets the switch's side of this machine's link down or up: an outage of this machine's own
   * link (every board silent at once, still reaching each other). The uplink keeps its address
   * and route with its carrier gone, so packets vanish as on a dead Wi-Fi link; setting the
   * uplink itself down would drop the route and have connections refused at once.
   */
  carrier(state: 'up' | 'down'): Promise<void>;
  close(): Promise<void>;
}

/** Whether boards can be isolated here: root, with ip, nsenter and unshare at hand. */
export async function canIsolateBoards(): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    await Promise.all([
      exec('ip', ['-V']),
      exec('nsenter', ['--version']),
      exec('unshare', ['--version']),
    ]);
    return true;
  } catch {
    return false;
  }
}

/** `ip ARGS` inside the namespace at `netns` (a path such as /proc/PID/ns/net). */
export function ipIn(netns: string, ...args: string[]): Promise<{ stdout: string }> {
  return exec('nsenter', [`--net=${netns}`, '--', 'ip', ...args]);
}

/** A new empty network namespace, held by a `cat` whose stdin is this process's lifeline. */
async function holdNamespace(): Promise<{ pid: number; netns: string; child: ChildProcess }> {
  const child = spawn('unshare', ['--net', '--', 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const netns = `/proc/${pid}/ns/net`;
  const ours = await readlink('/proc/self/ns/net');
  // unshare(2) runs after the spawn returns: until then the pid is still in our namespace.
  for (const until = Date.now() + 5000; Date.now() < until;) {
    const theirs = await readlink(netns).catch(() => ours);
    if (theirs !== ours) return { pid, netns, child };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  throw new Error('unshare --net did not make a network namespace');
}

/**
 * A /24 of 169.254.0.0/16 that no address or route of this machine names (a zeroconf route to
 * the whole /16 may stay: the /24 is more specific).
 */
async function freeSubnet(): Promise<number> {
  const taken = `${(await exec('ip', ['-4', '-o', 'addr', 'show'])).stdout}\n${(await exec('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout}`;
  for (let tries = 0; tries < 50; tries++) {
    const k = 16 + ((randomBytes(1)[0] as number) % 224);
    if (!taken.includes(`169.254.${k}.`)) return k;
  }
  throw new Error('no free /24 in 169.254.0.0/16 for the farm link');
}

async function gone(link: string): Promise<boolean> {
  try {
    await exec('ip', ['link', 'show', link]);
    return false;
  } catch {
    return true;
  }
}

/** Puts each board of `ids` in a namespace of its own on one private link with this machine. */
export async function openBoardNetwork(ids: readonly string[]): Promise<BoardNetwork> {
  if (ids.length > 200) throw new Error('at most 200 boards on one farm link');
  const holders: ChildProcess[] = [];
  const tag = randomBytes(3).toString('hex');
  const uplink = `mcf${tag}`;
  const close = async (): Promise<void> => {
    for (const h of holders) {
      h.stdin?.end();
      h.kill('SIGKILL');
    }
    // The uplink goes with the switch namespace; wait for it, then make sure.
    for (const until = Date.now() + 3000; Date.now() < until && !(await gone(uplink));)
      await new Promise((r) => setTimeout(r, 50));
    await exec('ip', ['link', 'del', uplink]).catch(() => undefined);
  };
  try {
    const k = await freeSubnet();
    const host = `169.254.${k}.1`;
    const sw = await holdNamespace();
    holders.push(sw.child);
    await ipIn(sw.netns, 'link', 'add', 'br0', 'type', 'bridge');
    await ipIn(sw.netns, 'link', 'set', 'br0', 'up');
    await exec('ip', [
      ...['link', 'add', uplink, 'type', 'veth'],
      ...['peer', 'name', 'up0', 'netns', String(sw.pid)],
    ]);
    await exec('ip', ['addr', 'add', `${host}/24`, 'dev', uplink]);
    await exec('ip', ['link', 'set', uplink, 'up']);
    await ipIn(sw.netns, 'link', 'set', 'up0', 'master', 'br0', 'up');
    const boards = new Map<string, { netns: string; address: string }>();
    for (const [i, id] of ids.entries()) {
      const board = await holdNamespace();
      holders.push(board.child);
      const address = `169.254.${k}.${10 + i}`;
      await ipIn(
        sw.netns,
        ...['link', 'add', `p${i}`, 'type', 'veth'],
        ...['peer', 'name', 'farm0', 'netns', String(board.pid)],
      );
      await ipIn(sw.netns, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      await ipIn(board.netns, 'addr', 'add', `${address}/24`, 'dev', 'farm0');
      await ipIn(board.netns, 'link', 'set', 'farm0', 'up');
      await ipIn(board.netns, 'link', 'set', 'lo', 'up');
      boards.set(id, { netns: board.netns, address });
    }
    const carrier = async (state: 'up' | 'down') =>
      void (await ipIn(sw.netns, 'link', 'set', 'up0', state));
    return { host, subnet: `169.254.${k}.0/24`, uplink, boards, carrier, close };
  } catch (err) {
    await close();
    throw err;
  }
}
