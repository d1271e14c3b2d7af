// mchair-agent: the board program's entry point. Prints one JSON line on stdout when it listens
// ({"event":"listening","id","port"}) so whoever started it (the virtual farm, a test, a systemd
// unit's log) learns the port; logs go to stderr.
// First, so that the garbage collector is set before anything allocates.
import './protocol/heap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { Agent } from './agent';
import { ConfigError, loadConfig, USAGE } from './config';
import { serveMedium } from './protocol/medium';

function logLine(level: string, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg })}\n`);
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    // Started by a process that owns us (the demo, an ephemeral farm: see farm/local.ts): its end,
    // even by SIGKILL, closes our stdin, and we stop instead of lingering as an orphan.
    if (process.env.MCHAIR_AGENT_LIFELINE === '1') {
      process.stdin.once('end', () => resolve());
      process.stdin.once('close', () => resolve());
      process.stdin.resume();
    }
  });
}

/** The virtual farm's airtime service for one shared medium (see medium.ts). */
async function mediumServer(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'medium-server': { type: 'boolean' },
      mbps: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const mbps = Number(values.mbps);
  const port = Number(values.port ?? 0);
  const host = values.host ?? '127.0.0.1';
  if (!(mbps > 0) || !Number.isInteger(port) || port < 0 || port > 65535 || !isIPv4(host)) {
    process.stderr.write(
      `mchair-agent: --medium-server needs --mbps N (> 0), a valid --port and an IPv4 --host\n${USAGE}\n`,
    );
    return 2;
  }
  const medium = await serveMedium(mbps, port, host);
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', id: 'medium', port: medium.port })}\n`,
  );
  await untilSignal();
  await medium.close();
  return 0;
}

async function main(): Promise<number> {
  if (process.argv.includes('--medium-server')) return mediumServer(process.argv.slice(2));
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mchair-agent: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let tls;
  try {
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', `${cfg.id}.pem`, `${cfg.id}.key`].map((f) =>
        readFile(join(cfg.tlsDir, f), 'utf8'),
      ),
    );
    tls = { ca: ca as string, cert: cert as string, key: key as string };
  } catch (err) {
    process.stderr.write(
      `mchair-agent: cannot read the farm certificates in ${cfg.tlsDir}: ${(err as Error).message}\n`,
    );
    return 1;
  }
  const agent = new Agent(cfg, tls, {
    info: (m) => logLine('info', m),
    warn: (m) => logLine('warn', m),
  });
  const port = await agent.start();
  process.stdout.write(`${JSON.stringify({ event: 'listening', id: cfg.id, port })}\n`);
  await untilSignal();
  logLine('info', 'shutting down');
  await agent.stop();
  return 0;
}

// The bundle is also the entry of each part's compute thread (compute.ts), which must not start
// another agent.
export { computeThread } from './compute';
if (isMainThread)
  void main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mchair-agent: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
