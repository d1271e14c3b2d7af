// SCPI power analyzers (Yokogawa WT300 series, R&S HMC8015, Keysight DC analyzers) through one
// client: each dialect is a table of commands and the order of the values its query returns, and
// any of them can be overridden from the meter URI for an instrument whose firmware differs.
import type { IntervalLimits, MeterInfo } from './meter';
import { PolledMeter } from './meter';
import { DeviceFileLink, TcpLineLink, type LineLink } from './link';
import { MeterGarbageError, reading, type Reading } from './sample';
import type { DialectName, MeterSpec, ScpiOverrides } from './uri';

/** P watts, U volts, I amps, X a value to pass over. */
export type ScpiField = 'P' | 'U' | 'I' | 'X';

export interface Dialect {
  setup(intervalMs: number): string[];
  /** Sent on close, so the front panel is the user's again (remote mode locks it). */
  teardown: readonly string[];
  query: string;
  fields: readonly ScpiField[];
  limits: IntervalLimits;
}

export const DIALECT_TABLES: Record<DialectName, Dialect> = {
  // WT310/WT330: remote mode, no headers, three items (P, U, I of element 1), update rate.
  wt300: {
    setup: (ms) => [
      ':COMM:REM ON',
      ':COMM:HEAD OFF',
      ':NUM:FORM ASCII',
      ':NUM:NORM:NUM 3',
      ':NUM:NORM:ITEM1 P,1',
      ':NUM:NORM:ITEM2 U,1',
      ':NUM:NORM:ITEM3 I,1',
      `:RATE ${ms}MS`,
    ],
    teardown: [':COMM:REM OFF'],
    query: ':NUM:NORM:VAL?',
    fields: ['P', 'U', 'I'],
    // The update rate is one of six; 10 Hz at most.
    limits: {
      minMs: 100,
      maxMs: 5000,
      allowedMs: [100, 250, 500, 1000, 2000, 5000],
      defaultMs: 500,
    },
  },
  hmc8015: {
    setup: () => ['SYST:REM', 'CHAN1:MEAS:FUNC URMS,IRMS,P'],
    teardown: ['SYST:LOC'],
    query: 'CHAN1:MEAS:DATA?',
    fields: ['U', 'I', 'P'],
    limits: { minMs: 100, maxMs: 60_000, defaultMs: 500 },
  },
  // Keysight DC power analyzers and supplies (N6705, E36300): output 1's voltage and current in
  // one compound query; watts are their product.
  keysight: {
    setup: () => ['*CLS'],
    teardown: [],
    query: 'MEAS:VOLT? (@1);:MEAS:CURR? (@1)',
    fields: ['U', 'I'],
    limits: { minMs: 100, maxMs: 60_000, defaultMs: 500 },
  },
};

/** The dialect with the URI's overrides applied. */
export function dialectFor(name: DialectName, o: ScpiOverrides): Dialect {
  const base = DIALECT_TABLES[name];
  return {
    setup: o.setup ? () => o.setup ?? [] : base.setup,
    teardown: base.teardown,
    query: o.query ?? base.query,
    fields: (o.fields as ScpiField[] | undefined) ?? base.fields,
    limits: base.limits,
  };
}

/** Parses a reply such as `104.75E+00,230.1E+00,0.455E+00` (or with a header, or `;`-joined). */
export function parseScpiReply(
  label: string,
  reply: string,
  fields: readonly ScpiField[],
): Reading {
  // With :COMM:HEAD ON the reply starts with the command's header and a space; drop it.
  const body = reply.trim().replace(/^:?[A-Z][A-Z0-9:]*\s+(?=[-+0-9.NI])/i, '');
  const values = body.split(/[,;]/).map((v) => v.trim());
  if (body === '' || values.length < fields.length) {
    throw new MeterGarbageError(
      label,
      `reply has ${body === '' ? 0 : values.length} values, expected ${fields.length}: ${JSON.stringify(reply.slice(0, 60))}`,
    );
  }
  const pick = (f: ScpiField): string | undefined => {
    const i = fields.indexOf(f);
    return i < 0 ? undefined : values[i];
  };
  return reading(label, { w: pick('P'), v: pick('U'), a: pick('I') });
}

export class ScpiMeter extends PolledMeter {
  readonly info: MeterInfo;
  private link: LineLink | undefined;
  private readonly dialect: Dialect;
  /** The instrument's *IDN? answer, once open. */
  idn = '';

  constructor(private readonly spec: Extract<MeterSpec, { kind: 'scpi' | 'usbtmc' }>) {
    super();
    this.dialect = dialectFor(spec.dialect, spec.overrides);
    const where = spec.kind === 'scpi' ? `${spec.host}:${spec.port}` : spec.path;
    this.info = {
      uri: spec.uri,
      kind: spec.kind,
      label: `${spec.dialect}@${where}`,
      scope: spec.scope,
      emulated: false,
      limits: this.dialect.limits,
    };
  }

  async open(intervalMs: number): Promise<void> {
    const s = this.spec;
    this.link =
      s.kind === 'scpi'
        ? await TcpLineLink.connect(s.host, s.port, this.info.label)
        : await DeviceFileLink.open(s.path, this.info.label);
    // *IDN? first: a wrong port or a device that is not SCPI fails here, in one line.
    this.idn = (await this.link.query('*IDN?')).trim();
    for (const cmd of this.dialect.setup(intervalMs)) await this.link.send(cmd);
  }

  async read(): Promise<Reading> {
    if (!this.link) throw new Error('ScpiMeter.read before open');
    return parseScpiReply(
      this.info.label,
      await this.link.query(this.dialect.query),
      this.dialect.fields,
    );
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    // Best effort: a link that already failed cannot hand the panel back, and must still close.
    for (const cmd of this.dialect.teardown) await link.send(cmd).catch(() => undefined);
    await link.close();
  }
}
