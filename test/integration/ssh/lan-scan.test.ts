// The LAN sweep on a loopback /29 of its own: finds the real sshd by its banner, ignores a
// server that speaks something else and addresses where nothing listens, and refuses subnets
// larger than a /22.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanSubnet, subnetHosts } from '../../../src-main/inventory/lan-scan';
import { loopbackAddress, startBoard, tempDir, type Board, type Sshd } from './sshd';

let board: Board;
let sshd: Sshd;
let other: Server;
let base: string;

beforeAll(async () => {
  const host = loopbackAddress(); // 127.A.B.1
  base = host.replace(/\.1$/, '');
  board = await startBoard(tempDir('mchair-scan'), { userPrefix: 'mcl', sshd: { host } });
  sshd = board.sshd;
  // Same port, another address of the /29: an HTTP-ish server that is not SSH.
  other = createServer((s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
  await new Promise<void>((r) => other.listen(sshd.port, `${base}.2`, r));
});

afterAll(async () => {
  other?.close();
  await board?.stop();
});

describe('LAN scan', () => {
  it('finds the SSH server of a subnet by its banner, and only it', async () => {
    const progress: number[] = [];
    const found = await scanSubnet({
      subnet: `${base}.0/29`,
      port: sshd.port,
      timeoutMs: 2000,
      onProgress: (d) => progress.push(d),
    });
    expect(found).toEqual([
      { host: sshd.host, port: sshd.port, banner: expect.stringMatching(/^SSH-2\.0-OpenSSH_/) },
    ]);
    expect(progress.at(-1)).toBe(6);
  });

  it('sweeps host addresses only, and refuses big or malformed subnets', () => {
    expect(subnetHosts('10.0.0.5/30')).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(subnetHosts('10.0.0.7/32')).toEqual(['10.0.0.7']);
    expect(subnetHosts('192.168.0.0/22')).toHaveLength(1022);
    expect(() => subnetHosts('10.0.0.0/16')).toThrow(/at most a \/22/);
    expect(() => subnetHosts('10.0.0.300/24')).toThrow(/not an IPv4 subnet/);
  });
});
