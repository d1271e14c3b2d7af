// The agent's settings: a JSON config file, overridden by command-line flags. Everything that
// crosses into the agent from outside is checked here, before anything starts.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES } from './protocol/framing';

export const AgentConfig = z
  .object({
    /** Device id; must equal the common name of the certificate in tlsDir. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be letters, digits, dot, dash or underscore'),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(7070),
    /** Folder of partition files; deploy names them and the agent checks their sha256. */
    partsDir: z.string().min(1),
    /** Folder with ca.pem, <id>.pem and <id>.key (written by the app's farm CA). */
    tlsDir: z.string().min(1),
    backend: z.enum(['node', 'wasm']).default('node'),
    /** ORT intra-op threads per session; default all cores. */
    threads: z.number().int().min(1).max(256).default(cpus().length),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .default(DEFAULT_MAX_MESSAGE_BYTES),
    /** Emulated device profile name (virtual farm); its figures are labelled emulated. */
    profile: z.string().min(1).nullable().default(null),
    /** Emulated shared medium: its airtime service, "host:port" (virtual farm). */
    medium: z
      .string()
      .regex(/^[^:]+:\d+$/, 'must be host:port')
      .nullable()
      .default(null),
    /** Emulated switched port speed in Mbit/s (virtual farm). */
    linkMbps: z.number().positive().nullable().default(null),
    /**
     * The memory the agent may hold, parts included (provisioning writes the board profile's
     * budget capped by the memory the probe found); a part that would not fit is refused at
     * deploy. Null: what the kernel reports available at the time.
     */
    memoryBudgetBytes: z.number().int().positive().nullable().default(null),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfig>;

export const USAGE = `usage: mchair-agent [--config FILE] [--id ID] [--host H] [--port P] [--parts-dir DIR]
                    [--tls-dir DIR] [--backend node|wasm] [--threads N] [--max-message-mb N]
                    [--profile NAME] [--medium HOST:PORT | --link-mbps N] [--memory-budget-mb N]
       mchair-agent --medium-server --mbps N [--port P] [--host IPV4]   (virtual farm: a shared medium)`;

export class ConfigError extends Error {}

/** Reads the config file (if any) and applies the flags on top. */
export function loadConfig(argv: string[]): AgentConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        config: { type: 'string' },
        id: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'parts-dir': { type: 'string' },
        'tls-dir': { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        'max-message-mb': { type: 'string' },
        profile: { type: 'string' },
        medium: { type: 'string' },
        'link-mbps': { type: 'string' },
        'memory-budget-mb': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) throw new ConfigError(USAGE);
  let base: Record<string, unknown> = {};
  if (v.config) {
    try {
      base = JSON.parse(readFileSync(v.config, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`cannot read config ${v.config}: ${(err as Error).message}`);
    }
  }
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const mib = (s: string | undefined) =>
    s === undefined ? undefined : Math.round(Number(s) * 2 ** 20);
  const flags: Record<string, unknown> = {
    id: v.id,
    host: v.host,
    port: num(v.port),
    partsDir: v['parts-dir'],
    tlsDir: v['tls-dir'],
    backend: v.backend,
    threads: num(v.threads),
    maxMessageBytes: mib(v['max-message-mb']),
    profile: v.profile,
    medium: v.medium,
    linkMbps: num(v['link-mbps']),
    memoryBudgetBytes: mib(v['memory-budget-mb']),
  };
  for (const [k, val] of Object.entries(flags)) if (val !== undefined) base[k] = val;
  const cfg = AgentConfig.safeParse(base);
  if (!cfg.success) {
    const i = cfg.error.issues[0];
    throw new ConfigError(`config: ${i?.path.join('.') || 'value'}: ${i?.message ?? 'invalid'}`);
  }
  return cfg.data;
}
