// Proxies from the environment, as curl and most tools read them: HTTPS_PROXY for https
// addresses, HTTP_PROXY for http ones (either case), NO_PROXY a comma list of hosts (a leading
// dot or `*.` for a domain, `*` for all, an optional :port). Node's own http and fetch ignore
// them, and a lab behind a proxy would otherwise see every source fail.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { AppError } from '../../contract/errors';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

function envVar(env: ProxyEnv, name: string): string | undefined {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
}

function bypassed(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      if (raw === '*') return true;
      const m = /^(.*?)(?::(\d+))?$/.exec(raw.toLowerCase())!;
      const name = m[1]!.replace(/^\*?\./, '');
      if (m[2] && m[2] !== port) return false;
      return host === name || host.endsWith(`.${name}`);
    });
}

/** The proxy a request to `target` goes through, or null to go direct. */
export function proxyFor(target: URL, env: ProxyEnv): URL | null {
  const raw = target.protocol === 'https:' ? envVar(env, 'https_proxy') : envVar(env, 'http_proxy');
  if (!raw || bypassed(target, envVar(env, 'no_proxy'))) return null;
  let proxy: URL;
  try {
    proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new AppError('PROXY_BAD', `the proxy "${raw}" from the environment is not an address`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')
    throw new AppError('PROXY_BAD', `the proxy ${raw} is not http:// or https://`);
  return proxy;
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(user).toString('base64')}` };
}

/** Opens a CONNECT tunnel through `proxy` to the target's host and port. */
export function connectTunnel(
  proxy: URL,
  target: URL,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Socket> {
  const port = target.port || '443';
  const authority = `${target.hostname}:${port}`;
  return new Promise((resolve, reject) => {
    const req = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname,
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...proxyAuthorization(proxy) },
      signal,
      timeout: timeoutMs,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`proxy ${proxy.host} answered ${res.statusCode} to CONNECT ${authority}`));
    });
    req.on('timeout', () => req.destroy(new Error(`proxy ${proxy.host} did not answer`)));
    req.on('error', (err) => reject(new Error(`proxy ${proxy.host}: ${err.message}`)));
    req.end();
  });
}

/** Headers for a plain-http request sent to a proxy (absolute URL as the path). */
export function forwardHeaders(proxy: URL): Record<string, string> {
  return proxyAuthorization(proxy);
}
