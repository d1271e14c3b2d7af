// mchair-agent: the board program's entry point. Prints one JSON line on stdout when it listens
// ({"event":"listening","id","port"}) so whoever started it (the virtual farm, a test, a systemd
// unit's log) learns the port; logs go to stderr.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from './agent';
import { ConfigError, loadConfig } from './config';

function logLine(level: string, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg })}\n`);
}

async function main(): Promise<number> {
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
      ['ca.pem', `${cfg.id}.pem`, `${cfg.id}.key`].map((f) => readFile(join(cfg.tlsDir, f), 'utf8')),
    );
    tls = { ca: ca as string, cert: cert as string, key: key as string };
  } catch (err) {
    process.stderr.write(`mchair-agent: cannot read the farm certificates in ${cfg.tlsDir}: ${(err as Error).message}\n`);
    return 1;
  }
  const agent = new Agent(cfg, tls, {
    info: (m) => logLine('info', m),
    warn: (m) => logLine('warn', m),
  });
  const port = await agent.start();
  process.stdout.write(`${JSON.stringify({ event: 'listening', id: cfg.id, port })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  logLine('info', 'shutting down');
  await agent.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mchair-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
