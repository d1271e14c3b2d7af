// A TP-Link Kasa HS110 on a real TCP socket: length-prefixed, XOR-autokey frames; hardware v1
// answers W/V/A and kWh, v2 mW/mV/mA and Wh. Scripted raw replies go out framed (bad JSON) or,
// prefixed with "\u0000", as a frame cut short.
import { createServer, type Server, type Socket } from 'node:net';
import { kasaDecrypt, kasaFrame } from '../../src-main/power/kasa';
import { TraceClock, type Trace } from './trace';

export interface KasaSim {
  port: number;
  /** Decrypted requests. */
  requests: string[];
  clock: TraceClock;
  close(): Promise<void>;
}

export async function startKasaSim(hw: 1 | 2, trace: Trace): Promise<KasaSim> {
  const requests: string[] = [];
  const clock = new TraceClock(trace);
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let got = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      while (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
        const len = got.readUInt32BE(0);
        const req = kasaDecrypt(got.subarray(4, 4 + len)).toString('utf8');
        got = got.subarray(4 + len);
        requests.push(req);
        const { w, raw } = clock.next();
        if (raw?.startsWith('\u0000')) {
          // Half a frame, then hang up.
          const frame = kasaFrame(raw.slice(1));
          s.end(frame.subarray(0, Math.floor(frame.length / 2)));
          return;
        }
        const a = w / 230.1;
        const realtime =
          hw === 1
            ? { current: a, voltage: 230.1, power: w, total: 0.012, err_code: 0 }
            : {
                voltage_mv: 230100,
                current_ma: Math.round(a * 1000),
                power_mw: Math.round(w * 1000),
                total_wh: 12,
                err_code: 0,
              };
        s.write(kasaFrame(raw ?? JSON.stringify({ emeter: { get_realtime: realtime } })));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    port: addr.port,
    requests,
    clock,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
