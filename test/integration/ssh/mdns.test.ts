// mDNS discovery on a lab network of network namespaces: two boards announce themselves the way
// avahi does (one with an SSH service on a custom port, one only as a workstation that gives
// its address when asked), and the app finds both by name, address and port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverMdns } from '../../../src-main/inventory/mdns';
import { createLab, type Lab } from './sshd';

const RESPONDER = new URL('./mdns-responder.mjs', import.meta.url).pathname;
let lab: Lab;
const responders: ChildProcess[] = [];

function announce(ns: string, ...args: string[]): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, RESPONDER, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  responders.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`responder exited with ${code}`)));
  });
}

beforeAll(async () => {
  lab = createLab(2);
  await announce(lab.boards[0]!.name, lab.boards[0]!.boardAddress, 'pi-lab-01', 'ssh', '2222');
  await announce(
    lab.boards[1]!.name,
    lab.boards[1]!.boardAddress,
    'tx2-lab',
    'workstation',
    '9',
    'no-a',
  );
});

afterAll(() => {
  for (const r of responders) r.kill('SIGTERM');
  lab?.remove();
});

describe('mDNS discovery', () => {
  it('finds boards announcing SSH or a workstation on the lab network', async () => {
    const found = await discoverMdns({ interfaceAddress: lab.hostAddress, timeoutMs: 2500 });
    expect(found).toEqual([
      {
        host: 'pi-lab-01.local',
        addresses: [lab.boards[0]!.boardAddress],
        port: 2222,
        instances: ['pi-lab-01 board'],
      },
      {
        host: 'tx2-lab.local',
        addresses: [lab.boards[1]!.boardAddress],
        port: 22,
        instances: ['tx2-lab board'],
      },
    ]);
  });

  it('hears nothing on an interface where nobody announces', async () => {
    expect(await discoverMdns({ interfaceAddress: '127.0.0.1', timeoutMs: 800 })).toEqual([]);
  });
});
