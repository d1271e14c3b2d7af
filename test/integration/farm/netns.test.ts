// The private link farm/netns.ts puts cut-able boards on: each board in a namespace of its own
// reaches this machine's end and the other boards over real TCP, not this machine's loopback;
// its link set down cuts it off (and up brings it back); close() leaves no link and no namespace
// process behind. Needs root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from '../../reliability/run-folder';
import {
  canIsolateBoards,
  openBoardNetwork,
  type BoardNetwork,
} from '../../../src-main/farm/netns';

const root = process.getuid?.() === 0;
const started: ChildProcess[] = [];
let open: BoardNetwork | null = null;

afterEach(async () => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
  await open?.close();
  open = null;
});

/** With `netns`, argv run inside that namespace. */
const inside = (netns: string | null, argv: string[]): string[] =>
  netns ? ['nsenter', `--net=${netns}`, '--', ...argv] : argv;

/**
 * A TCP server that says "hi", in a namespace (or this machine's, null), as a process of its own
 * (the probes below block this one); resolves when it listens.
 */
async function listenIn(netns: string | null, host: string): Promise<void> {
  const code = `require('net').createServer((s) => s.end('hi')).listen(7700, '${host}', () => console.log('up'))`;
  const [file, ...args] = inside(netns, [process.execPath, '-e', code]);
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
}

/** What a connection from a namespace (or this machine, null) to host:7700 reads, or the error. */
function reach(from: string | null, host: string): string {
  const code = `const s=require('net').connect(7700,'${host}');let d='';s.setTimeout(1500,()=>{console.log('timeout');process.exit()});s.on('data',(b)=>d+=b).on('end',()=>{console.log(d);process.exit()}).on('error',(e)=>{console.log(e.code);process.exit()})`;
  const [file, ...args] = inside(from, [process.execPath, '-e', code]);
  return execFileSync(file!, args, { encoding: 'utf8' }).trim();
}

const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });

describe.skipIf(!root)('boards on a private link in network namespaces (needs root)', () => {
  it('is available here', async () => {
    expect(await canIsolateBoards()).toBe(true);
  });

  it('joins the boards and this machine, cuts one off by its link, and leaves nothing', async () => {
    open = await openBoardNetwork(['a', 'b']);
    const net0 = open;
    const a = net0.boards.get('a')!;
    const b = net0.boards.get('b')!;
    expect(net0.host).toMatch(/^169\.254\.\d+\.1$/);
    expect(links()).toContain(net0.uplink);
    // Namespaces of their own, not ours and not each other's.
    const own = readlinkSync('/proc/self/ns/net');
    const spaces = [a, b].map((x) => readlinkSync(x.netns));
    expect(new Set([own, ...spaces]).size).toBe(3);

    await listenIn(b.netns, b.address);
    await listenIn(null, net0.host);
    expect(reach(a.netns, b.address)).toBe('hi'); // board to board
    expect(reach(null, b.address)).toBe('hi'); // this machine to a board
    expect(reach(a.netns, net0.host)).toBe('hi'); // a board to this machine's end
    // A board's link down: it is cut off both ways; up again: back.
    execFileSync('nsenter', [`--net=${b.netns}`, '--', 'ip', 'link', 'set', 'farm0', 'down']);
    expect(reach(a.netns, b.address)).toMatch(/timeout|EHOSTUNREACH/);
    expect(reach(b.netns, net0.host)).toMatch(/ENETUNREACH|timeout/);
    execFileSync('nsenter', [`--net=${b.netns}`, '--', 'ip', 'link', 'set', 'farm0', 'up']);
    expect(reach(a.netns, b.address)).toBe('hi');

    for (const c of started.splice(0)) c.kill('SIGKILL');
    const holders = [a, b].map((x) => Number(/\/proc\/(\d+)\//.exec(x.netns)![1]));
    await net0.close();
    open = null;
    expect(links()).not.toContain(net0.uplink);
    // The namespace holders are gone (given a moment to be reaped), and the namespaces with them.
    for (let i = 0; i < 40 && holders.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(holders.filter(alive)).toEqual([]);
  });
});
