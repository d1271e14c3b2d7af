// A pseudo-terminal for simulators of serial and USBTMC instruments: the driver under test opens
// the pty's device file (/dev/pts/N) exactly as it would /dev/ttyUSB0 or /dev/usbtmc0, and the
// simulator reads and writes the other end. Node cannot allocate a pty itself, so a few lines of
// Python (standard library only) hold it and relay the master side over stdin/stdout.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const RELAY = `
import os, pty, select, sys, tty
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
inp, out = sys.stdin.fileno(), sys.stdout.fileno()
while True:
    r, _, _ = select.select([m, inp], [], [])
    if m in r:
        try:
            d = os.read(m, 4096)
        except OSError:
            d = b''
        if d:
            os.write(out, d)
    if inp in r:
        d = os.read(inp, 4096)
        if not d:
            break
        os.write(m, d)
`;

export interface Pty {
  /** The device file a driver opens. */
  path: string;
  /** Bytes the driver wrote. */
  onData(listener: (chunk: Buffer) => void): void;
  /** Sends bytes to the driver. */
  write(data: string | Buffer): void;
  close(): Promise<void>;
}

export async function openPty(): Promise<Pty> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-u', '-c', RELAY], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`pty relay exited ${code}`)));
  });
  return {
    path: firstLine.trim(),
    onData: (listener) => {
      child.stdout.on('data', listener);
      // readline paused the stream when it let go of it; a new listener alone does not restart it.
      child.stdout.resume();
    },
    write: (data) => child.stdin.write(data),
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill();
      await once(child, 'exit');
    },
  };
}
