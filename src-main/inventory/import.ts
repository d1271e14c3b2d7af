// Turns what a lab already has into devices: a spreadsheet exported as CSV, or the Host blocks of
// an OpenSSH client config (~/.ssh/config). Both produce unvalidated DeviceInputs; the Inventory
// validates them as it adds them, so one error path names the bad row or host.
import { homedir, userInfo } from 'node:os';
import { AppError, InputError } from '../contract/errors';
import type { BoardRecordInput } from './boardRecord';

export type ImportFormat = 'csv' | 'ssh-config';

/** `.csv` files are CSV; anything whose first directive is Host/Match/Include is an ssh config. */
export function detectFormat(path: string, text: string): ImportFormat {
  if (/\.csv$/i.test(path)) return 'csv';
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (first && /^(host|match|include|hostname|user|port|identityfile)[\s=]/i.test(first))
    return 'ssh-config';
  if (first && first.includes(',')) return 'csv';
  throw new InputError(
    `cannot tell whether ${path} is CSV or an ssh config; name it *.csv or start it with a Host line`,
  );
}

export function parseImport(path: string, text: string): BoardRecordInput[] {
  if (detectFormat(path, text) !== 'csv') return parseSshConfig(text);
  try {
    return parseDevicesCsv(text);
  } catch (err) {
    // "CSV line 3: ..." becomes "boards.csv line 3: ...": the user may import several files.
    if (err instanceof InputError)
      throw new InputError(
        err.message.replace(/^CSV:?/, `${path}:`).replace(/^(.*?): line/, '$1 line'),
      );
    throw err;
  }
}

/** RFC 4180 fields: commas, double quotes doubled inside quoted fields, CRLF or LF rows. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new InputError('CSV: a quoted field is not closed');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

const CSV_COLUMNS = [
  'name',
  'host',
  'port',
  'user',
  'auth',
  'key',
  'agent_port',
  'profile',
  'jump',
  'remote_dir',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/**
 * A header row names the columns (any order, case-insensitive): name, host, user are required;
 * port, auth (key|agent|password|keyboard-interactive), key, agent_port, profile,
 * jump (user@host[:port]) and remote_dir are optional.
 */
export function parseDevicesCsv(text: string): BoardRecordInput[] {
  const [header, ...rows] = parseCsvRows(text);
  if (!header) throw new InputError('CSV: the file is empty; the first row must name the columns');
  const cols = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  for (const c of cols) {
    if (!(CSV_COLUMNS as readonly string[]).includes(c)) {
      throw new InputError(`CSV: unknown column "${c}"; use ${CSV_COLUMNS.join(', ')}`);
    }
  }
  for (const required of ['name', 'host', 'user'] as const) {
    if (!cols.includes(required))
      throw new InputError(`CSV: the header has no "${required}" column`);
  }
  return rows.map((cells, i) => {
    const get = (c: CsvColumn): string | undefined => {
      const v = cells[cols.indexOf(c)]?.trim();
      return v === undefined || v === '' ? undefined : v;
    };
    const line = i + 2;
    const key = get('key');
    const authType = get('auth') ?? (key ? 'key' : 'agent');
    const device: BoardRecordInput = {
      name: get('name') ?? '',
      host: get('host') ?? '',
      user: get('user') ?? '',
      auth: authFor(authType, key, `CSV line ${line}`),
    };
    const port = get('port');
    if (port) device.port = Number(port);
    const agentPort = get('agent_port');
    if (agentPort) device.agentPort = Number(agentPort);
    const profile = get('profile');
    if (profile) device.profile = profile;
    const jump = get('jump');
    if (jump) device.jump = parseJump(jump, `CSV line ${line}`);
    const remoteDir = get('remote_dir');
    if (remoteDir) device.remoteDir = remoteDir;
    return device;
  });
}

function authFor(
  type: string,
  keyFile: string | undefined,
  where: string,
): BoardRecordInput['auth'] {
  switch (type) {
    case 'key':
      if (!keyFile) throw new InputError(`${where}: auth "key" needs a key file`);
      return { type: 'key', file: expandHome(keyFile) };
    case 'agent':
    case 'password':
    case 'keyboard-interactive':
      return { type };
    default:
      throw new InputError(
        `${where}: auth must be key, agent, password or keyboard-interactive, not "${type}"`,
      );
  }
}

/** `user@host[:port]`, the form ssh's -J and ProxyJump take (IPv6 hosts in brackets). */
export function parseJump(
  spec: string,
  where: string,
  defaultUser = userInfo().username,
): NonNullable<BoardRecordInput['jump']> {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new InputError(`${where}: jump host "${spec}" is not user@host[:port]`);
  return {
    host: m[2]!.replace(/^\[|\]$/g, ''),
    user: m[1] ?? defaultUser,
    port: m[3] ? Number(m[3]) : 22,
    auth: { type: 'agent' },
  };
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

interface HostBlock {
  patterns: string[];
  options: Map<string, string[]>;
}

/** The ssh_config(5) pattern language: `*` and `?` wildcards, `!` negation. */
function matchesPatterns(alias: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const glob = negated ? p.slice(1) : p;
    const re = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    if (re.test(alias)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function parseConfigBlocks(text: string): HostBlock[] {
  // Directives before the first Host apply to every host, like a leading `Host *`.
  const blocks: HostBlock[] = [{ patterns: ['*'], options: new Map() }];
  let current: HostBlock | null = blocks[0]!;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.+)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toLowerCase();
    const args = [...m[2]!.matchAll(/"([^"]*)"|(\S+)/g)].map((a) => a[1] ?? a[2]!);
    if (keyword === 'host') {
      current = { patterns: args, options: new Map() };
      blocks.push(current);
    } else if (keyword === 'match') {
      // Match criteria (exec, localuser, ...) cannot be evaluated for an import; skip the block.
      current = null;
    } else if (current && !current.options.has(keyword)) {
      current.options.set(keyword, args);
    }
  }
  return blocks;
}

/** One device per concrete Host alias; wildcard blocks only supply defaults, as in ssh. */
export function parseSshConfig(
  text: string,
  defaultUser = userInfo().username,
): BoardRecordInput[] {
  const blocks = parseConfigBlocks(text);
  const lookup = (alias: string, keyword: string): string[] | undefined => {
    // ssh takes the first value it obtains, in file order.
    for (const b of blocks) {
      if (matchesPatterns(alias, b.patterns) && b.options.has(keyword))
        return b.options.get(keyword);
    }
    return undefined;
  };
  const endpointOf = (alias: string): NonNullable<BoardRecordInput['jump']> => {
    const identity = lookup(alias, 'identityfile')?.[0];
    return {
      host: lookup(alias, 'hostname')?.[0]?.replace(/%h/g, alias) ?? alias,
      port: Number(lookup(alias, 'port')?.[0] ?? 22),
      user: lookup(alias, 'user')?.[0] ?? defaultUser,
      auth: identity ? { type: 'key', file: expandHome(identity) } : { type: 'agent' },
    };
  };
  const aliases = blocks.flatMap((b) => b.patterns).filter((p) => !/[*?!]/.test(p));
  const devices: BoardRecordInput[] = [];
  for (const alias of new Set(aliases)) {
    const device: BoardRecordInput = { name: alias, ...endpointOf(alias) };
    const jump = lookup(alias, 'proxyjump')?.[0]?.split(',')[0];
    if (jump && jump.toLowerCase() !== 'none') {
      const spec = parseJump(jump, `Host ${alias}`, defaultUser);
      // A jump named by its alias takes that alias's HostName, Port and User.
      const viaAlias = aliases.includes(spec.host) && !jump.includes('@') && !jump.includes(':');
      device.jump = viaAlias ? endpointOf(spec.host) : spec;
    }
    devices.push(device);
  }
  if (devices.length === 0)
    throw new AppError(
      'NOTHING_TO_IMPORT',
      'the ssh config has no concrete Host entries (only wildcard patterns)',
    );
  return devices;
}
