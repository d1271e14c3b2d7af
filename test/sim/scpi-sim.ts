// A SCPI power analyzer (WT300, HMC8015 or Keysight dialect) answering on a real TCP socket or
// on a pty standing in for /dev/usbtmc0: *IDN?, the setup commands (recorded for the test), and
// the dialect's measurement query with values in the dialect's order and number format.
import { createServer, type Server, type Socket } from 'node:net';
import type { DialectName } from '../../src-main/power/uri';
import { openPty } from './pty';
import { TraceClock, type Trace } from './trace';

const IDN: Record<DialectName, string> = {
  wt300: 'YOKOGAWA,WT310E,C2QC12345,F1.05',
  hmc8015: 'Rohde&Schwarz,HMC8015,123456,01.400',
  keysight: 'Keysight Technologies,N6705C,MY12345678,D.01.09',
};

const VOLTS = 230.1;

/** NR3 as Yokogawa prints it: 104.75E+00. */
function nr3(x: number): string {
  const [m, e] = x.toExponential(4).split('e') as [string, string];
  const exp = Number(e);
  return `${m}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

export interface ScpiSim {
  /** Where the driver connects: host:port for TCP, the device file for USBTMC. */
  port: number;
  path: string;
  /** Every command line received, in order. */
  commands: string[];
  clock: TraceClock;
  /** Drops every open connection (a cable pulled for a moment); TCP only. */
  drop(): void;
  close(): Promise<void>;
}

function responder(
  dialect: DialectName,
  clock: TraceClock,
  commands: string[],
): (line: string) => string | undefined {
  return (line) => {
    commands.push(line);
    if (line === '*IDN?') return IDN[dialect];
    const isQuery =
      (dialect === 'wt300' && line === ':NUM:NORM:VAL?') ||
      (dialect === 'hmc8015' && line === 'CHAN1:MEAS:DATA?') ||
      (dialect === 'keysight' && line === 'MEAS:VOLT? (@1);:MEAS:CURR? (@1)');
    if (!isQuery) return line.endsWith('?') ? '' : undefined;
    const { w, raw } = clock.next();
    if (raw !== undefined) return raw;
    const a = w / VOLTS;
    if (dialect === 'wt300') return [nr3(w), nr3(VOLTS), nr3(a)].join(',');
    if (dialect === 'hmc8015') return [VOLTS, a, w].map((x) => x.toExponential(5)).join(',');
    return [VOLTS.toExponential(6), a.toExponential(6)].join(';');
  };
}

/** Splits the byte stream into lines and answers each query; `raw` replies go out verbatim. */
function serve(
  answer: (line: string) => string | undefined,
  write: (s: string) => void,
): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      const reply = answer(line);
      // A reply that carries its own "\n" or none at all (a truncated one) is sent as is.
      if (reply !== undefined)
        write(
          reply.startsWith('\u0000') ? reply.slice(1) : reply.includes('\n') ? reply : `${reply}\n`,
        );
    }
  };
}

export async function startScpiTcpSim(dialect: DialectName, trace: Trace): Promise<ScpiSim> {
  const commands: string[] = [];
  const clock = new TraceClock(trace);
  const answer = responder(dialect, clock, commands);
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on(
      'data',
      serve(answer, (r) => s.write(r)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    port: addr.port,
    path: '',
    commands,
    clock,
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startScpiUsbtmcSim(dialect: DialectName, trace: Trace): Promise<ScpiSim> {
  const commands: string[] = [];
  const clock = new TraceClock(trace);
  const pty = await openPty();
  pty.onData(serve(responder(dialect, clock, commands), (r) => pty.write(r)));
  return {
    port: 0,
    path: pty.path,
    commands,
    clock,
    drop: () => undefined,
    close: () => pty.close(),
  };
}

/** Marks a scripted reply to be sent without its newline: a truncated answer. */
export const truncated = (s: string): string => `\u0000${s}`;
