// Structured logs on stderr (stdout belongs to a command's result). Secrets are redacted by key
// wherever they sit in a logged object, so a careless call cannot leak one.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

const SECRET_KEYS = ['password', 'passphrase', 'privateKey', 'token', 'secret', 'key'];

export function createLogger(level: string = process.env.MCHAIR_LOG ?? 'warn'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
