// `mchair serve` as a real process for the security tests: started at the most talkative log level,
// with its one stdout line parsed and everything it logs kept, plus a raw HTTP request helper that
// can send targets a browser never would, and a page on the contract socket that keeps every
// frame (replies and events) it receives, for the tests to search.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { CLI } from './terminal';

export interface ServeProcess {
  port: number;
  token: string;
  child: ChildProcess;
  /** Every line the server printed on stdout (its one document, nothing else). */
  stdoutLines: string[];
  stderr(): string;
  alive(): boolean;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** `node`: flags for node itself (a test that watches warnings); `logLevel`: trace unless given. */
export async function startServe(
  dataDir: string,
  opts: { node?: readonly string[]; logLevel?: string } = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(opts.node ?? []),
      CLI,
      '--data-dir',
      dataDir,
      '--log-level',
      opts.logLevel ?? 'trace',
      'serve',
      '--port',
      '0',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stdoutLines: string[] = [];
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      stdoutLines.push(l);
      if (stdoutLines.length === 1) resolve(l);
    });
    void exit.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  const { token, port } = JSON.parse(first) as { token: string; port: number };
  return {
    port,
    token,
    child,
    stdoutLines,
    stderr: () => stderr,
    alive: () => !exited,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** Sends raw request bytes and resolves with the raw answer once the server closes or 2 s pass. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = connect(port, '127.0.0.1', () => s.write(text));
    const timer = setTimeout(() => s.destroy(), 2000);
    s.on('data', (d: Buffer) => (answer += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

export interface Page {
  /** Every frame received, as sent. */
  frames: string[];
  /** Calls a contract command; resolves with its reply's envelope. */
  call(
    name: string,
    args: unknown,
    timeoutMs?: number,
  ): Promise<{ ok: boolean } & Record<string, unknown>>;
  /**
   * Resolves with the payload of the first event `name` that `test` accepts, whether it came
   * before this call or after it.
   */
  event(
    name: string,
    test: (payload: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): void;
}

interface Frame {
  kind: string;
  id?: number;
  envelope?: { ok: boolean };
  name?: string;
  payload?: Record<string, unknown>;
}

/** A page of serve's own origin, holding the token, on the contract socket. */
export async function openPage(port: number, token: string): Promise<Page> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/contract?token=${token}`, {
    headers: { Origin: `http://127.0.0.1:${port}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames: string[] = [];
  const waiting = new Map<number, (envelope: { ok: boolean }) => void>();
  const watchers = new Set<(f: Frame) => void>();
  ws.on('message', (m: Buffer) => {
    frames.push(m.toString());
    const f = JSON.parse(m.toString()) as Frame;
    if (f.kind === 'reply' && f.id !== undefined) waiting.get(f.id)?.(f.envelope!);
    for (const watch of watchers) watch(f);
  });
  let next = 100;
  return {
    frames,
    call: (name, args, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(
          () => reject(new Error(`${name}: no reply in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.set(id, (envelope) => {
          clearTimeout(timer);
          resolve(envelope as { ok: boolean } & Record<string, unknown>);
        });
        ws.send(JSON.stringify({ id, name, args }));
      }),
    event: (name, test, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const accepts = (f: Frame): boolean =>
          f.kind === 'event' && f.name === name && test(f.payload ?? {});
        const seen = frames.map((m) => JSON.parse(m) as Frame).find(accepts);
        if (seen) {
          resolve(seen.payload ?? {});
          return;
        }
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(new Error(`no ${name} event in ${timeoutMs} ms`));
        }, timeoutMs);
        const watch = (f: Frame): void => {
          if (!accepts(f)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(f.payload ?? {});
        };
        watchers.add(watch);
      }),
    close: () => ws.close(),
  };
}
