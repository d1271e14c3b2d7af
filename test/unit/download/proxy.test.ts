// Which proxy a download uses, as curl reads the environment, and how its progress reads.
import { describe, expect, it } from 'vitest';
import { describeProgress, MirrorUrl } from '../../../src-main/contract/download';
import { proxyFor } from '../../../src-main/model/download/proxy';

const hf = new URL('https://huggingface.co/onnxmodelzoo/x.onnx');
const plain = new URL('http://mirror.lab:8080/zoo/x.onnx');

describe('proxyFor', () => {
  it('takes HTTPS_PROXY for https and HTTP_PROXY for http, either case', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'proxy2:8080' };
    expect(proxyFor(hf, env)?.href).toBe('http://proxy:3128/');
    expect(proxyFor(plain, env)?.href).toBe('http://proxy2:8080/');
    expect(proxyFor(hf, {})).toBeNull();
  });

  it('goes direct for NO_PROXY hosts, domains, ports and *', () => {
    const env = (no: string) => ({
      https_proxy: 'http://p:1',
      http_proxy: 'http://p:1',
      no_proxy: no,
    });
    expect(proxyFor(hf, env('huggingface.co'))).toBeNull();
    expect(proxyFor(hf, env('.co'))).toBeNull();
    expect(proxyFor(hf, env('*.huggingface.co'))).toBeNull();
    expect(proxyFor(hf, env('*.github.com'))).not.toBeNull();
    expect(proxyFor(hf, env('*'))).toBeNull();
    expect(proxyFor(plain, env('mirror.lab:8080'))).toBeNull();
    expect(proxyFor(plain, env('mirror.lab:80'))).not.toBeNull();
    expect(proxyFor(hf, env('ingface.co'))).not.toBeNull();
  });

  it('refuses a proxy that is not an http(s) address, naming it', () => {
    expect(() => proxyFor(hf, { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(
      'the proxy socks5://p:1080 is not http:// or https://',
    );
  });
});

describe('mirror URLs', () => {
  it('keeps an http(s) base without its trailing slash and names what is wrong otherwise', () => {
    expect(MirrorUrl.parse(' https://m.lab/zoo/ ')).toBe('https://m.lab/zoo');
    const fault = (s: string) => MirrorUrl.safeParse(s).error?.issues[0]?.message;
    expect(fault('m.lab/zoo')).toBe('"m.lab/zoo" is not an address (https://host/path)');
    expect(fault('file:///srv/zoo')).toMatch(/must start with https:\/\/ or http:\/\//);
    expect(fault('https://m.lab/zoo?x=1')).toMatch(/must not have a \?query/);
    expect(fault('https://u:pw@m.lab/zoo')).toMatch(/must not hold a user name or password/);
  });
});

describe('describeProgress', () => {
  it('reads bytes, rate and time left', () => {
    const p = { id: 'x', source: 'y', total: 10 * 2 ** 20 };
    expect(describeProgress({ ...p, received: 0, rateBps: 0, etaS: null })).toBe('0.0 of 10.0 MiB');
    expect(describeProgress({ ...p, received: 2 ** 20, rateBps: 2 ** 19, etaS: 18 })).toBe(
      '1.0 of 10.0 MiB, 0.5 MiB/s, 18 s left',
    );
    expect(describeProgress({ ...p, received: 2 ** 20, rateBps: 1000, etaS: 9437 })).toBe(
      '1.0 of 10.0 MiB, 0.0 MiB/s, 2 h 37 min left',
    );
  });
});
