// The setting the Farm view's board tests share: a real OpenSSH board on 127.x with a throw-away
// Unix user (key and password logins), a real `mchair serve` and Debian's Chromium, started
// before a file's tests and stopped after them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { expect } from 'vitest';
import { startBoard, tempDir, type Board } from '../integration/ssh/sshd';
import { CHROMIUM_ARGS } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

export interface ServeWithBoard extends Board {
  serve: ServeProcess;
  browser: Browser;
  /** Closes Chromium, stops serve (which must exit 0), then the board. */
  stop(): Promise<void>;
  /** The base64 blob of the board's host key now, as known_hosts would hold it. */
  hostKeyBlob(): string;
  /** What the lab's known_hosts in serve's data folder holds ('' before anything is remembered). */
  rememberedKeys(): string;
}

/** `serveLog`: serve's log level (see startServe). */
export async function startServeWithBoard(serveLog?: string): Promise<ServeWithBoard> {
  const board = await startBoard(tempDir('mchair-e2e-board'), { userPrefix: 'mce' });
  const serve = await startServe(serveLog ? { log: serveLog } : {});
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return {
    ...board,
    serve,
    browser,
    stop: async () => {
      await browser.close();
      expect(await serve.stop()).toBe(0);
      await board.stop();
    },
    hostKeyBlob: () => board.sshd.hostKey.publicLine.split(' ')[1]!,
    rememberedKeys: () => {
      const file = join(serve.dataDir, 'known_hosts');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
  };
}
