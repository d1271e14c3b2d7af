// Who may talk to `mchair serve`: the per-start token, and requests that come from the server's
// own origin. A page on another site can open a WebSocket to 127.0.0.1 (browsers do not apply the
// same-origin policy to WebSockets), and a DNS-rebinding page can even reach it under its own host
// name, so the socket checks the token, the Host header and the Origin header before upgrading.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_PARAM } from '../contract/socket';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `host:port` as it appears in a URL (IPv6 literals in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export type Refusal = { status: 401 | 403; reason: string };

export interface AccessPolicy {
  readonly token: string;
  /** Checks a request's Host header (DNS rebinding); null when it may proceed. */
  checkHost(req: IncomingMessage): Refusal | null;
  /** Checks a WebSocket upgrade: Host, Origin and token; null when it may proceed. */
  checkUpgrade(req: IncomingMessage): Refusal | null;
}

export function accessPolicy(boundHost: string, port: number, token: string): AccessPolicy {
  // Bound to loopback, only loopback names can be genuine; bound to a LAN address or 0.0.0.0 the
  // machine's names are unknowable, and the token alone guards the socket.
  const allowedHosts = isLoopbackHost(boundHost)
    ? new Set([
        hostPort('127.0.0.1', port),
        hostPort('localhost', port),
        hostPort('::1', port),
        hostPort(boundHost, port),
      ])
    : null;
  const expected = Buffer.from(token);

  const checkHost = (req: IncomingMessage): Refusal | null => {
    const host = req.headers.host;
    if (!host) return { status: 403, reason: 'no Host header' };
    if (allowedHosts && !allowedHosts.has(host.toLowerCase())) {
      return { status: 403, reason: `host "${host}" is not this server` };
    }
    return null;
  };

  return {
    token,
    checkHost,
    checkUpgrade(req) {
      const hostRefusal = checkHost(req);
      if (hostRefusal) return hostRefusal;
      const origin = req.headers.origin;
      if (origin !== `http://${req.headers.host}`) {
        return { status: 403, reason: `origin "${origin ?? '(none)'}" is not this server's page` };
      }
      const given = new URL(req.url ?? '/', 'http://x').searchParams.get(TOKEN_PARAM) ?? '';
      const givenBytes = Buffer.from(given);
      if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
        return { status: 401, reason: 'wrong or missing token' };
      }
      return null;
    },
  };
}
