// The line-oriented links SCPI instruments speak: raw TCP (port 5025, newline-terminated) and
// USBTMC device files (/dev/usbtmcN, where each write is one message and a read returns the reply).
// Both answer `query` with one line and fail with one sentence instead of hanging.
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { AppError } from '../contract/index';
import { MeterGarbageError } from './sample';

const REPLY_TIMEOUT_MS = 3000;
/** No reading an instrument sends is this long; a longer line is a wrong port or a runaway device. */
const MAX_LINE = 64 * 1024;

export interface LineLink {
  send(cmd: string): Promise<void>;
  /** Sends a query and resolves with its reply line, without the terminator. */
  query(cmd: string): Promise<string>;
  close(): Promise<void>;
}

/** Runs jobs one at a time: SCPI replies carry no tag, so order is the only way to match them. */
function oneAtATime(): <T>(job: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return (job) => {
    const next = chain.then(job, job);
    chain = next.catch(() => undefined);
    return next;
  };
}

function timeoutError(label: string, cmd: string): AppError {
  return new AppError(
    'METER_TIMEOUT',
    `${label}: no answer to "${cmd}" within ${REPLY_TIMEOUT_MS / 1000} s (wrong dialect or port?)`,
  );
}

/** SCPI over a raw TCP socket. */
export class TcpLineLink implements LineLink {
  private buffer = '';
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly run = oneAtATime();

  private constructor(
    private readonly socket: Socket,
    private readonly label: string,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) =>
      this.fail(new AppError('METER_UNREACHABLE', `${label}: ${e.message}`)),
    );
    socket.on('close', () =>
      this.fail(
        this.buffer
          ? new MeterGarbageError(
              label,
              `connection closed mid-reply (truncated: ${JSON.stringify(this.buffer.slice(0, 40))})`,
            )
          : new AppError('METER_UNREACHABLE', `${label}: the instrument closed the connection`),
      ),
    );
  }

  static async connect(host: string, port: number, label: string): Promise<TcpLineLink> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(
      () => socket.destroy(new Error(`no connection within ${REPLY_TIMEOUT_MS / 1000} s`)),
      REPLY_TIMEOUT_MS,
    );
    try {
      await once(socket, 'connect');
    } catch (e) {
      throw new AppError(
        'METER_UNREACHABLE',
        `${label}: cannot connect to ${host}:${port} (${(e as Error).message})`,
      );
    } finally {
      clearTimeout(timer);
    }
    return new TcpLineLink(socket, label);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_LINE) {
      this.fail(
        new MeterGarbageError(this.label, `reply longer than ${MAX_LINE} bytes without a newline`),
      );
      this.socket.destroy();
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const w = this.waiting;
      this.waiting = undefined;
      // A line nobody asked for (a late reply after a timeout) is dropped, not matched to the next query.
      w?.resolve(line);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }

  send(cmd: string): Promise<void> {
    return this.run(async () => {
      if (this.failure) throw this.failure;
      this.socket.write(`${cmd}\n`);
    });
  }

  query(cmd: string): Promise<string> {
    return this.run(
      () =>
        new Promise<string>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          const timer = setTimeout(() => {
            this.waiting = undefined;
            reject(timeoutError(this.label, cmd));
          }, REPLY_TIMEOUT_MS);
          this.waiting = {
            resolve: (line) => (clearTimeout(timer), resolve(line)),
            reject: (e) => (clearTimeout(timer), reject(e)),
          };
          this.socket.write(`${cmd}\n`);
        }),
    );
  }

  async close(): Promise<void> {
    this.failure ??= new AppError('METER_CLOSED', `${this.label}: closed`);
    if (this.socket.destroyed) return;
    // end() sends what was written (a teardown command) before the FIN; a peer that lingers is cut off.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }
}

/**
 * SCPI through the Linux usbtmc driver: write a command, then read its reply. The driver times
 * out reads itself (5 s), and our timer gives up sooner so a silent instrument fails in one line.
 */
export class DeviceFileLink implements LineLink {
  private readonly run = oneAtATime();

  private constructor(
    private readonly fh: FileHandle,
    private readonly label: string,
  ) {}

  static async open(path: string, label: string): Promise<DeviceFileLink> {
    try {
      return new DeviceFileLink(await open(path, 'r+'), label);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const hint =
        code === 'EACCES' ? ' (add a udev rule giving your user access to the device)' : '';
      throw new AppError(
        'METER_UNREACHABLE',
        `${label}: cannot open ${path}: ${code ?? (e as Error).message}${hint}`,
      );
    }
  }

  send(cmd: string): Promise<void> {
    return this.run(async () => {
      await this.fh.write(`${cmd}\n`);
    });
  }

  query(cmd: string): Promise<string> {
    return this.run(async () => {
      await this.fh.write(`${cmd}\n`);
      const deadline = Date.now() + REPLY_TIMEOUT_MS;
      let text = '';
      const buf = Buffer.alloc(4096);
      while (!text.includes('\n')) {
        const left = deadline - Date.now();
        if (left <= 0) throw timeoutError(this.label, cmd);
        let timer: NodeJS.Timeout | undefined;
        const { bytesRead } = await Promise.race([
          this.fh.read(buf, 0, buf.length, null),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(timeoutError(this.label, cmd)), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (bytesRead === 0) {
          throw new MeterGarbageError(
            this.label,
            `device closed mid-reply (truncated: ${JSON.stringify(text.slice(0, 40))})`,
          );
        }
        text += buf.toString('latin1', 0, bytesRead);
        if (text.length > MAX_LINE)
          throw new MeterGarbageError(
            this.label,
            `reply longer than ${MAX_LINE} bytes without a newline`,
          );
      }
      return text.slice(0, text.indexOf('\n')).replace(/\r$/, '');
    });
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
