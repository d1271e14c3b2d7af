// A board that logs in with a password, from the Farm view in Chromium against a real `mchair
// serve` and a real OpenSSH server with password logins: the password typed in the Add dialog
// lets provisioning log in; a wrong one set on the device row is refused (and forgotten), the
// right one set there works again. Then the password is searched for everywhere it must not be:
// serve's output at debug level, every event the page received, every file of the data folder
// (in clear, base64 or hex), and the page itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../integration/ssh/sshd';
import { LabPage } from './labPage';
import { startServeWithBoard, type ServeWithBoard } from './serveWithBoard';

let bench: ServeWithBoard;

// Serve logs at debug, so that every command it handles is in what the test searches.
beforeAll(async () => (bench = await startServeWithBoard('debug')));

afterAll(async () => bench?.stop());

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile())
    .map((p) => ({ path: p, bytes: readFileSync(p) }));
}

/** The ways a password could sit in a file or a line without being sealed. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret);
  return [secret, b.toString('base64'), b.toString('base64url'), b.toString('hex')];
}

describe('a password login from the Farm view', () => {
  it('logs in with the saved password, and the password is nowhere in clear', async () => {
    const { serve, browser, user, sshd } = bench;
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    const received: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) =>
        received.push(typeof f.payload === 'string' ? f.payload : f.payload.toString()),
      ),
    );
    // The page opened its socket before the listener was there; a reload opens a new one.
    await page.reload();
    await lab.openView('Farm');
    const wrong = `${user.password}-not`;

    await page.getByRole('button', { name: 'Add device…' }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    await add.getByRole('textbox', { name: 'Name' }).fill('board-pw');
    await add.getByRole('textbox', { name: 'Host' }).fill(sshd.host);
    await add.getByRole('spinbutton', { name: 'SSH port' }).fill(String(sshd.port));
    await add.getByRole('textbox', { name: 'User' }).fill(user.name);
    await add.getByRole('combobox', { name: 'Log in with' }).selectOption('password');
    await add.getByLabel('Password', { exact: true }).fill(user.password);
    // Other tests' agents may hold the default port on this machine.
    const agentPort = String(await freePort('127.0.0.1'));
    await add.getByRole('spinbutton', { name: 'Agent port' }).fill(agentPort);
    await add.getByRole('button', { name: 'Add device' }).click();
    await add.waitFor({ state: 'hidden' });
    expect(
      await page
        .getByRole('row', { name: /board-pw/ })
        .locator('td')
        .allTextContents(),
    ).toContain(agentPort);

    const status = page.locator('td[data-status]');
    // provision/start's replies are the frames that carry a result's modelBytesUploaded.
    const replies = (): number =>
      received.filter((r) => r.includes('"kind":"reply"') && r.includes('modelBytesUploaded'))
        .length;
    const provision = async (): Promise<void> => {
      const before = replies();
      await page.getByRole('button', { name: 'Provision 1 board' }).click();
      await expect.poll(replies, { timeout: 180_000, interval: 200 }).toBe(before + 1);
      await page.getByRole('button', { name: 'Cancel provisioning' }).waitFor({ state: 'hidden' });
    };
    await page.getByRole('checkbox', { name: 'Choose board-pw' }).check();
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    const ask = page.getByRole('dialog', { name: 'Trust board-pw?' });
    await ask.waitFor({ timeout: 60_000 });
    await ask.getByRole('button', { name: 'Trust, remember and provision' }).click();
    await page.locator('td[data-status="ok"]').waitFor({ timeout: 180_000 });
    expect(await status.textContent()).toContain('provisioned');

    // A wrong password set on the row is refused by the board (and forgotten by the core)...
    const setPassword = async (value: string): Promise<void> => {
      await page.getByRole('button', { name: 'Set the password of board-pw' }).click();
      const dialog = page.getByRole('dialog', { name: 'Password of board-pw' });
      // Never shown again: the field opens empty, with the focus in it.
      expect(await dialog.getByLabel('Password', { exact: true }).inputValue()).toBe('');
      await expect.poll(() => dialog.locator('#device-password:focus').count()).toBe(1);
      await dialog.getByLabel('Password', { exact: true }).fill(value);
      await dialog.getByRole('button', { name: 'Save password' }).click();
      await dialog.waitFor({ state: 'hidden' });
    };
    await setPassword(wrong);
    await provision();
    expect(await status.getAttribute('data-status')).toBe('failed');
    expect(await status.textContent()).toContain('refused the password login');
    await provision();
    expect(await status.textContent()).toMatch(/a password is needed, none is stored/);
    // ...and the right one lets the board in again.
    await setPassword(user.password);
    await provision();
    expect(await status.getAttribute('data-status')).toBe('ok');
    expect(await lab.unnamedControls()).toEqual([]);

    for (const secret of [user.password, wrong]) {
      for (const form of forms(secret)) {
        expect(received.filter((r) => r.includes(form))).toEqual([]);
        expect(serve.stdout.join('\n')).not.toContain(form);
        expect(serve.stderr()).not.toContain(form);
        for (const f of filesUnder(serve.dataDir))
          expect(f.bytes.includes(form), `${f.path} holds the password`).toBe(false);
      }
      expect(await page.content()).not.toContain(secret);
    }
    // The searches looked at something: events came, serve logged at debug, the data folder has files.
    expect(received.some((r) => r.includes('provision/progress'))).toBe(true);
    expect(serve.stderr()).toContain('command done');
    expect(filesUnder(serve.dataDir).map((f) => f.path)).toEqual(
      expect.arrayContaining([join(serve.dataDir, 'known_hosts')]),
    );
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 360_000);
});
