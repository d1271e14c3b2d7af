// The setting the Farm view's board tests share: a real OpenSSH board on 127.x with a throw-away
// Unix user (key and password logins), a real `mchair serve` and Debian's Chromium, started
// before a file's tests and stopped after them.
import { chromium, type Browser } from 'playwright-core';
import { expect } from 'vitest';
import {
  createUser,
  makeKey,
  removeUser,
  startSshd,
  tempDir,
  type KeyPair,
  type Sshd,
  type TestUser,
} from '../integration/ssh/sshd';
import { CHROMIUM_ARGS } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

export interface ServeWithBoard {
  serve: ServeProcess;
  browser: Browser;
  user: TestUser;
  /** A key the board's user accepts. */
  key: KeyPair;
  sshd: Sshd;
  stop(): Promise<void>;
}

/** `serveLog`: serve's log level (see startServe). */
export async function startServeWithBoard(serveLog?: string): Promise<ServeWithBoard> {
  const dir = tempDir('mchair-e2e-board');
  const user = createUser('mce', dir);
  const key = makeKey(dir, 'id_lab');
  const sshd = await startSshd({ users: [user.name] });
  sshd.authorize(user.name, key.publicLine);
  const serve = await startServe(serveLog ? { log: serveLog } : {});
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return {
    serve,
    browser,
    user,
    key,
    sshd,
    stop: async () => {
      await browser.close();
      expect(await serve.stop()).toBe(0);
      await sshd.stop();
      removeUser(user);
    },
  };
}
