// Meter URIs, the one way users name a meter on the command line and in the app:
//   scpi+wt300://host:port   scpi+hmc8015://host:5025   scpi+keysight://host:5025
//   usbtmc+wt300:///dev/usbtmc0   shelly://host[:port]   shelly1://host   shelly2://host
//   kasa://host[:port]   wattsup:///dev/ttyUSB0   csv:///path/log.csv   agent://DEVICE
// Query parameters shared by all: `device=NAME` or `devices=A,B` (what the meter covers; the whole
// farm when absent), `interval=SECONDS`. SCPI ones also take `setup=CMD` (repeatable), `query=CMD`
// and `fields=P|U,I` to drive an instrument whose commands differ from the dialect's table.
import { InputError } from '../contract/index';
import type { MeterScope } from './meter';

export const DIALECTS = ['wt300', 'hmc8015', 'keysight'] as const;
export type DialectName = (typeof DIALECTS)[number];

export interface ScpiOverrides {
  setup?: string[];
  query?: string;
  fields?: string[];
}

interface Common {
  uri: string;
  scope: MeterScope;
  intervalMs?: number;
}

export type MeterSpec = Common &
  (
    | { kind: 'scpi'; dialect: DialectName; host: string; port: number; overrides: ScpiOverrides }
    | { kind: 'usbtmc'; dialect: DialectName; path: string; overrides: ScpiOverrides }
    | { kind: 'shelly'; gen: 1 | 2 | 'auto'; host: string; port: number }
    | { kind: 'kasa'; host: string; port: number }
    | { kind: 'wattsup'; path: string }
    | { kind: 'csv'; path: string }
    | { kind: 'agent'; device: string }
  );

const DEVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function bad(uri: string, why: string): InputError {
  return new InputError(`meter "${uri}": ${why}`);
}

function port(uri: string, url: URL, fallback: number): number {
  if (url.port === '') return fallback;
  const p = Number(url.port);
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw bad(uri, `port ${url.port} is not 1-65535`);
  return p;
}

function host(uri: string, url: URL): string {
  if (!url.hostname) throw bad(uri, 'names no host (write scheme://host[:port])');
  // IPv6 literals come bracketed; net.connect wants them bare.
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function path(uri: string, url: URL, example: string): string {
  if (url.hostname || !url.pathname.startsWith('/') || url.pathname === '/') {
    throw bad(uri, `needs an absolute path with three slashes, e.g. ${example}`);
  }
  return decodeURIComponent(url.pathname);
}

function scope(uri: string, q: URLSearchParams): MeterScope {
  const names = [...q]
    .filter(([k]) => k === 'device' || k === 'devices')
    .flatMap(([, v]) => v.split(','))
    .map((d) => d.trim())
    .filter((d) => d !== '');
  for (const d of names) if (!DEVICE_NAME.test(d)) throw bad(uri, `"${d}" is not a device name`);
  return names.length ? { kind: 'devices', devices: [...new Set(names)] } : { kind: 'farm' };
}

function interval(uri: string, q: URLSearchParams): number | undefined {
  const raw = q.get('interval');
  if (raw === null) return undefined;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0)
    throw bad(uri, `interval=${raw} is not a positive number of seconds`);
  return s * 1000;
}

function overrides(uri: string, q: URLSearchParams): ScpiOverrides {
  const o: ScpiOverrides = {};
  for (const cmd of [...q.getAll('setup'), ...q.getAll('query')]) {
    // One command per parameter: a newline would smuggle a second command past the table.
    if (/[\r\n]/.test(cmd) || cmd.trim() === '')
      throw bad(uri, 'SCPI commands must be one non-empty line');
  }
  if (q.has('setup')) o.setup = q.getAll('setup');
  const query = q.get('query');
  if (query !== null) o.query = query;
  const fields = q.get('fields');
  if (fields !== null) {
    o.fields = fields.split(',').map((f) => f.trim().toUpperCase());
    if (!o.fields.every((f) => ['P', 'U', 'I', 'X'].includes(f))) {
      throw bad(
        uri,
        'fields= lists P (watts), U (volts), I (amps) or X (ignored), comma-separated',
      );
    }
  }
  return o;
}

const SCHEMES =
  'scpi+wt300, scpi+hmc8015, scpi+keysight, usbtmc+wt300, shelly, shelly1, shelly2, kasa, wattsup, csv, agent';

export function parseMeterUri(uri: string): MeterSpec {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw bad(uri, `is not a URI (schemes: ${SCHEMES})`);
  }
  const q = url.searchParams;
  const common: Common = { uri, scope: scope(uri, q) };
  const ms = interval(uri, q);
  if (ms !== undefined) common.intervalMs = ms;
  const scheme = url.protocol.slice(0, -1);
  const [transport, dialect] = scheme.split('+') as [string, string | undefined];
  if (transport === 'scpi' || transport === 'usbtmc') {
    if (!dialect || !(DIALECTS as readonly string[]).includes(dialect)) {
      throw bad(uri, `unknown SCPI dialect "${dialect ?? ''}" (choose ${DIALECTS.join(', ')})`);
    }
    const d = dialect as DialectName;
    if (transport === 'scpi') {
      return {
        ...common,
        kind: 'scpi',
        dialect: d,
        host: host(uri, url),
        port: port(uri, url, 5025),
        overrides: overrides(uri, q),
      };
    }
    return {
      ...common,
      kind: 'usbtmc',
      dialect: d,
      path: path(uri, url, 'usbtmc+wt300:///dev/usbtmc0'),
      overrides: overrides(uri, q),
    };
  }
  switch (scheme) {
    case 'shelly':
    case 'shelly1':
    case 'shelly2': {
      const gen = scheme === 'shelly1' ? 1 : scheme === 'shelly2' ? 2 : 'auto';
      return { ...common, kind: 'shelly', gen, host: host(uri, url), port: port(uri, url, 80) };
    }
    case 'kasa':
      return { ...common, kind: 'kasa', host: host(uri, url), port: port(uri, url, 9999) };
    case 'wattsup':
      return { ...common, kind: 'wattsup', path: path(uri, url, 'wattsup:///dev/ttyUSB0') };
    case 'csv':
      return { ...common, kind: 'csv', path: path(uri, url, 'csv:///home/me/log.csv') };
    case 'agent': {
      const device = decodeURIComponent(url.hostname);
      if (!DEVICE_NAME.test(device))
        throw bad(uri, 'write agent://DEVICE with a device name from the inventory');
      return { ...common, kind: 'agent', device, scope: { kind: 'devices', devices: [device] } };
    }
    default:
      throw bad(uri, `unknown scheme "${scheme}" (choose ${SCHEMES})`);
  }
}
