// TP-Link Kasa HS110 smart plugs: TCP 9999, each message a 4-byte big-endian length and a JSON
// payload scrambled with the XOR "autokey" (key 171, then each ciphertext byte is the next key).
// Hardware v1 reports power/voltage/current in W/V/A, v2 in mW/mV/mA; both are read here.
import { connect } from 'node:net';
import { z } from 'zod';
import { AppError } from '../contract/index';
import type { MeterInfo } from './meter';
import { PolledMeter } from './meter';
import { MeterGarbageError, reading, type Reading } from './sample';
import type { MeterSpec } from './uri';

const TIMEOUT_MS = 3000;
const MAX_FRAME = 64 * 1024;
const REALTIME = JSON.stringify({ emeter: { get_realtime: {} } });

export function kasaEncrypt(plain: Buffer): Buffer {
  const out = Buffer.alloc(plain.length);
  let key = 171;
  for (let i = 0; i < plain.length; i++) {
    key = key ^ (plain[i] as number);
    out[i] = key;
  }
  return out;
}

export function kasaDecrypt(cipher: Buffer): Buffer {
  const out = Buffer.alloc(cipher.length);
  let key = 171;
  for (let i = 0; i < cipher.length; i++) {
    const c = cipher[i] as number;
    out[i] = key ^ c;
    key = c;
  }
  return out;
}

/** One framed message: length prefix plus the scrambled payload. */
export function kasaFrame(json: string): Buffer {
  const body = kasaEncrypt(Buffer.from(json, 'utf8'));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

const Realtime = z.object({
  emeter: z.object({
    get_realtime: z.object({
      err_code: z.number().optional(),
      err_msg: z.string().optional(),
      power: z.unknown().optional(),
      voltage: z.unknown().optional(),
      current: z.unknown().optional(),
      power_mw: z.unknown().optional(),
      voltage_mv: z.unknown().optional(),
      current_ma: z.unknown().optional(),
    }),
  }),
});

/** Reads a get_realtime answer from either hardware version. */
export function parseKasaRealtime(label: string, json: unknown): Reading {
  const r = Realtime.safeParse(json);
  if (!r.success)
    throw new MeterGarbageError(
      label,
      'answer has no emeter.get_realtime (an HS100 has no meter; use an HS110)',
    );
  const rt = r.data.emeter.get_realtime;
  if (rt.err_code)
    throw new AppError(
      'METER_REFUSED',
      `${label}: plug refused get_realtime: ${rt.err_msg ?? `err_code ${rt.err_code}`}`,
    );
  const milli = (x: unknown): unknown => (typeof x === 'number' ? x / 1000 : x);
  if (rt.power_mw !== undefined) {
    return reading(label, {
      w: milli(rt.power_mw),
      v: milli(rt.voltage_mv),
      a: milli(rt.current_ma),
    });
  }
  return reading(label, { w: rt.power, v: rt.voltage, a: rt.current });
}

export class KasaMeter extends PolledMeter {
  readonly info: MeterInfo;

  constructor(private readonly spec: Extract<MeterSpec, { kind: 'kasa' }>) {
    super();
    this.info = {
      uri: spec.uri,
      kind: 'kasa',
      label: `kasa@${spec.host}:${spec.port}`,
      scope: spec.scope,
      emulated: false,
      limits: { minMs: 500, maxMs: 60_000, defaultMs: 1000 },
    };
  }

  async open(): Promise<void> {
    // One probe, so a wrong address fails before the run instead of during it.
    await this.read();
  }

  /** One request per connection: the plug drops idle connections, so none is kept. */
  read(): Promise<Reading> {
    const { host, port } = this.spec;
    const label = this.info.label;
    return new Promise<Reading>((resolve, reject) => {
      const socket = connect({ host, port });
      let got = Buffer.alloc(0);
      let settled = false;
      const finish = (err: Error | undefined, value?: Reading): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(value as Reading);
      };
      const timer = setTimeout(
        () =>
          finish(
            new AppError('METER_TIMEOUT', `${label}: no answer within ${TIMEOUT_MS / 1000} s`),
          ),
        TIMEOUT_MS,
      );
      socket.on('connect', () => socket.write(kasaFrame(REALTIME)));
      socket.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          new AppError(
            'METER_UNREACHABLE',
            // Plugs on 2023+ firmware closed port 9999 for the KLAP protocol, which this is not.
            `${label}: ${e.message}${e.code === 'ECONNREFUSED' ? ' (wrong address, or firmware that only speaks the newer KLAP protocol)' : ''}`,
          ),
        ),
      );
      socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < 4) return;
        const len = got.readUInt32BE(0);
        if (len > MAX_FRAME)
          return finish(
            new MeterGarbageError(label, `frame length ${len} is not a Kasa frame (wrong port?)`),
          );
        if (got.length < 4 + len) return;
        const text = kasaDecrypt(got.subarray(4, 4 + len)).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return finish(
            new MeterGarbageError(
              label,
              `answer is not JSON: ${JSON.stringify(text.slice(0, 60))}`,
            ),
          );
        }
        try {
          finish(undefined, parseKasaRealtime(label, json));
        } catch (e) {
          finish(e as Error);
        }
      });
      socket.on('close', () =>
        finish(
          new MeterGarbageError(
            label,
            got.length
              ? `connection closed mid-frame (${got.length} bytes, truncated)`
              : 'connection closed without an answer',
          ),
        ),
      );
    });
  }

  async close(): Promise<void> {
    // Connections are per request.
  }
}
