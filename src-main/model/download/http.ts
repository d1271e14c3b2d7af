// One GET of a model file from one address, from byte `from` on: redirects followed (Hugging Face
// and GitHub both answer with one), the environment's proxy used (CONNECT for https), the test's
// CA trusted when given. Node's fetch would need undici's proxy agent as a dependency of its own;
// node:http gives the byte-level control a resumable download needs anyway.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { APP_VERSION } from '../../version';
import { connectTunnel, forwardHeaders, proxyFor, type ProxyEnv } from './proxy';

const MAX_REDIRECTS = 8;

export interface HttpOptions {
  signal: AbortSignal;
  env: ProxyEnv;
  /** PEM certificates to trust instead of the system's (tests' own CA). */
  ca?: string;
  /** No byte for this long: the attempt fails (a dead link, not a slow one). */
  idleMs: number;
}

export interface RangeResponse {
  /** 200 (the whole file), 206 (from `from`) or 416 (nothing past the end). */
  status: number;
  res: IncomingMessage;
  /** Where the bytes came from after redirects. */
  url: URL;
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    url: URL,
  ) {
    super(`${url.host} answered ${status}`);
  }
}

async function requestOnce(url: URL, from: number, o: HttpOptions): Promise<IncomingMessage> {
  const proxy = proxyFor(url, o.env);
  const headers: Record<string, string> = {
    'user-agent': `musical-chair-lab/${APP_VERSION}`,
    // Byte offsets must be the file's: no transfer encoding may change them.
    'accept-encoding': 'identity',
    ...(from > 0 ? { range: `bytes=${from}-` } : {}),
  };
  const common = { method: 'GET', headers, signal: o.signal, timeout: o.idleMs };
  let req: http.ClientRequest;
  if (url.protocol === 'https:') {
    const socket = proxy ? await connectTunnel(proxy, url, o.signal, o.idleMs) : undefined;
    req = https.request(url, {
      ...common,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(socket
        ? {
            agent: false,
            createConnection: () =>
              tls.connect({ socket, servername: url.hostname, ...(o.ca ? { ca: o.ca } : {}) }),
          }
        : {}),
    });
  } else if (url.protocol === 'http:') {
    req = proxy
      ? http.request({
          ...common,
          host: proxy.hostname,
          port: proxy.port || 80,
          path: url.href,
          headers: { ...headers, host: url.host, ...forwardHeaders(proxy) },
        })
      : http.request(url, common);
  } else {
    throw new Error(`${url.href} is not an http(s) address`);
  }
  return new Promise((resolve, reject) => {
    req.on('response', resolve);
    req.on('timeout', () =>
      req.destroy(new Error(`${url.host} sent nothing for ${o.idleMs / 1000} s`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** GET `url` from byte `from`, following redirects; any status but 200/206/416 throws. */
export async function getRange(start: URL, from: number, o: HttpOptions): Promise<RangeResponse> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await requestOnce(url, from, o);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      res.resume();
      url = new URL(location, url);
      continue;
    }
    if (status === 200 || status === 206 || status === 416) return { status, res, url };
    res.resume();
    throw new HttpStatusError(status, url);
  }
  throw new Error(`${start.host}: more than ${MAX_REDIRECTS} redirects`);
}
