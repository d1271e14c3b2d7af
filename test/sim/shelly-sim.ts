// A Shelly plug on a real HTTP server: Gen2 (`/shelly` with gen 2, `/rpc/Switch.GetStatus`) or
// Gen1 (`/shelly` without gen, `/status` with meters[0].power in W and totals in watt-minutes).
import { createServer, type Server } from 'node:http';
import { TraceClock, type Trace } from './trace';

export interface ShellySim {
  port: number;
  requests: string[];
  clock: TraceClock;
  close(): Promise<void>;
}

export async function startShellySim(gen: 1 | 2, trace: Trace): Promise<ShellySim> {
  const requests: string[] = [];
  const clock = new TraceClock(trace);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const send = (body: string, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (url === '/shelly') {
      return send(
        JSON.stringify(
          gen === 2
            ? {
                id: 'shellyplusplugs-a8032ab12345',
                model: 'SNPL-00112EU',
                gen: 2,
                fw_id: '20231107-164738/1.0.8-g',
              }
            : {
                type: 'SHPLG-S',
                mac: 'A8032AB12345',
                auth: false,
                fw: '20230913-113610/v1.14.0-gcb84623',
              },
        ),
      );
    }
    if (gen === 2 && url === '/rpc/Switch.GetStatus?id=0') {
      const { w, raw } = clock.next();
      return send(
        raw ??
          JSON.stringify({
            id: 0,
            source: 'init',
            output: true,
            apower: w,
            voltage: 230.1,
            current: w / 230.1,
            aenergy: { total: 1234.5, by_minute: [0, 0, 0], minute_ts: 1700000000 },
            temperature: { tC: 40.1, tF: 104.2 },
          }),
      );
    }
    if (gen === 1 && url === '/status') {
      const { w, raw } = clock.next();
      return send(
        raw ??
          JSON.stringify({
            wifi_sta: { connected: true },
            relays: [{ ison: true }],
            meters: [
              {
                power: w,
                overpower: 0,
                is_valid: true,
                timestamp: 1700000000,
                counters: [w, w, w],
                total: 4567,
              },
            ],
          }),
      );
    }
    send(JSON.stringify({ code: 404, message: 'Not Found' }), 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    port: addr.port,
    requests,
    clock,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
