// Agents as local processes: the same bundled agent a board runs (out/agent/mchair-agent.mjs),
// started on this machine, listening on 127.0.0.1. The demo, the virtual farm and the tests all
// start agents through here.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { AppError } from '../contract/index';

export interface LocalAgentOptions {
  id: string;
  partsDir: string;
  tlsDir: string;
  host?: string;
  port?: number;
  backend?: 'node' | 'wasm';
  threads?: number;
  /** Largest message the agent accepts (default 64 MB). */
  maxMessageMb?: number;
  profile?: string | null;
  /** Emulated shared medium's airtime service "host:port", or an emulated port speed. */
  medium?: string;
  linkMbps?: number;
  /** The agent's memory budget (a part that would not fit is refused at deploy). */
  memoryBudgetBytes?: number;
  /** Keep running after this process exits (the virtual farm); stderr goes to `logFile`. */
  detached?: { logFd: number };
  /** Run inside this network namespace (a path nsenter takes; see farm/netns.ts). */
  netns?: string;
}

export interface LocalAgent {
  id: string;
  host: string;
  port: number;
  pid: number;
  /** SIGTERM (graceful), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The agent bundle: MCHAIR_AGENT_BUNDLE, else out/agent/ of the nearest folder that has one. */
export function agentBundlePath(): string {
  const env = process.env.MCHAIR_AGENT_BUNDLE;
  if (env) return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'out', 'agent', 'mchair-agent.mjs');
    // In the packaged app the agent and onnxruntime are unpacked beside app.asar (native
    // binaries cannot load from inside it): run that copy.
    const unpacked = candidate.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
    if (existsSync(unpacked)) return unpacked;
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new AppError(
    'AGENT_NOT_BUILT',
    'the agent bundle is missing; run "node scripts/build-node.mjs agent"',
  );
}

/**
 * Inside the desktop app process.execPath is Electron itself: this makes it run the agent as
 * plain Node (its built-in node binary) instead of opening a second app.
 */
const nodeMode: NodeJS.ProcessEnv = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};

/** A process that prints {"event":"listening","port"} once ready (an agent or a medium). */
async function spawnListening(
  name: string,
  args: string[],
  detached?: { logFd: number },
  netns?: string,
): Promise<LocalAgent & { host: string }> {
  const argv = [process.execPath, agentBundlePath(), ...args];
  // nsenter execs the agent: the pid stays the agent's (chaos signals it, its lifeline holds).
  const [file, ...rest] = netns ? ['nsenter', `--net=${netns}`, '--', ...argv] : argv;
  const child = spawn(file as string, rest, {
    // An attached child gets a stdin pipe as a lifeline: when this process ends, even by
    // SIGKILL, the pipe closes and the child stops (see remote-agent/src/main.ts).
    stdio: [detached ? 'ignore' : 'pipe', 'pipe', detached ? detached.logFd : 'pipe'],
    detached: Boolean(detached),
    env: {
      ...process.env,
      ...nodeMode,
      ...(detached ? {} : { MCHAIR_AGENT_LIFELINE: '1' }),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    // Keep the tail for an error message; the agent logs little.
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const fail = (why: string) => {
      lines.close();
      reject(
        new AppError(
          'AGENT_START_FAILED',
          `${name} did not start: ${why}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail('no answer in 30 s');
    }, 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const msg = JSON.parse(line) as { event?: string; port?: number };
        if (msg.event === 'listening' && typeof msg.port === 'number') {
          lines.close();
          resolve(msg.port);
          return;
        }
      } catch {
        // fall through
      }
      fail(`unexpected output "${line.slice(0, 100)}"`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(`exit code ${code}`);
    });
  });
  if (detached) {
    child.stdout?.destroy();
    child.unref();
  }
  const pid = child.pid as number;
  return {
    id: name,
    host: '127.0.0.1',
    port,
    pid,
    stop: (graceMs = 5000) => stopProcess(pid, graceMs),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is still one of our agents (its command line names the agent bundle) and not a
 * stranger that reused the number: false for a process gone; null where the system cannot say
 * (no /proc: macOS, Windows), for the caller to decide.
 */
export async function isOurAgent(pid: number): Promise<boolean | null> {
  if (process.platform !== 'linux') return null;
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('mchair-agent');
  } catch {
    return false;
  }
}

/** SIGTERM (the agent finishes what it holds), then SIGKILL once `graceMs` has passed. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startLocalAgent(o: LocalAgentOptions): Promise<LocalAgent> {
  const args = [
    '--id',
    o.id,
    '--host',
    o.host ?? '127.0.0.1',
    '--port',
    String(o.port ?? 0),
    '--parts-dir',
    o.partsDir,
    '--tls-dir',
    o.tlsDir,
    '--backend',
    o.backend ?? 'node',
  ];
  if (o.threads) args.push('--threads', String(o.threads));
  if (o.maxMessageMb) args.push('--max-message-mb', String(o.maxMessageMb));
  if (o.profile) args.push('--profile', o.profile);
  if (o.medium) args.push('--medium', o.medium);
  if (o.linkMbps) args.push('--link-mbps', String(o.linkMbps));
  if (o.memoryBudgetBytes) args.push('--memory-budget-mb', String(o.memoryBudgetBytes / 2 ** 20));
  const p = await spawnListening(`agent ${o.id}`, args, o.detached, o.netns);
  return { ...p, id: o.id, host: o.host ?? '127.0.0.1' };
}

/** The airtime service of one emulated shared medium, listening on `host`. */
export async function startMedium(
  mbps: number,
  detached?: { logFd: number },
  host = '127.0.0.1',
): Promise<LocalAgent> {
  const args = ['--medium-server', '--mbps', String(mbps), '--host', host];
  return { ...(await spawnListening('medium', args, detached)), host };
}
