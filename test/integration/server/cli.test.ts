// `mchair serve` as a command: --json prints one document when ready, a bad flag or a taken port
// is one line on stderr and exit 1, and SIGINT stops it cleanly. Needs the built renderer
// (`npm test` builds it first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const env = { ...process.env, MCHAIR_HOME: mkdtempSync(join(tmpdir(), 'mchair-serve-cli-')) };

function mchair(...args: string[]) {
  return spawnSync(process.execPath, ['bin/mchair.js', ...args], { env, encoding: 'utf8' });
}

describe('mchair serve', () => {
  it('prints one JSON document when ready under --json, and stops on SIGINT with exit 0', async () => {
    const child = spawn(process.execPath, ['bin/mchair.js', 'serve', '--port', '0', '--json'], {
      env,
    });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        resolve(line);
      });
      void exited.then((code) =>
        reject(new Error(`serve exited (${code}) before it was ready: ${stderr}`)),
      );
    });
    const doc = JSON.parse(first) as { url: string; port: number; host: string; token: string };
    expect(doc.host).toBe('127.0.0.1');
    expect(doc.url).toBe(`http://127.0.0.1:${doc.port}/?token=${doc.token}`);
    const page = await fetch(doc.url);
    expect(page.status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines).toHaveLength(1);
  });

  it('says in one line what is wrong with --port', () => {
    for (const port of ['abc', '70000']) {
      const r = mchair('serve', '--port', port);
      // A bad flag value is wrong usage.
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--port');
    }
  });

  it('says when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = mchair('serve', '--port', String(port));
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `mchair: port ${port} on 127.0.0.1 is taken: pick another with --port [PORT_IN_USE]`,
      );
    } finally {
      taken.close();
    }
  });
});
