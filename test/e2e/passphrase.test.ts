// A board whose SSH key is protected by a passphrase, provisioned from the Farm view in Chromium
// against a real `mchair serve` and a real OpenSSH board: Provision asks about the host key, then
// for the key's passphrase in a dialog (nobody can type it on serve's terminal); a wrong one is
// refused there, at once, against the key itself; the right one provisions the board, whose row
// then shows what the board says about itself. The passphrase is nowhere in serve's data folder
// or output (serve keeps secrets in memory only).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, startBoard, tempDir, type Board } from '../integration/ssh/sshd';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const PASSPHRASE = `pp-${process.pid}-lab`;
let board: Board;
let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  board = await startBoard(tempDir('mchair-e2e-passphrase'), {
    userPrefix: 'mcq',
    passphrase: PASSPHRASE,
  });
  serve = await startServe({ log: 'debug' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await board?.stop();
});

it('asks for the key passphrase in a dialog and provisions the board with it', async () => {
  const lab = await LabPage.open(browser, serve.url);
  const page = lab.page;
  await lab.openView('Farm');
  await page.getByRole('button', { name: 'Add device…' }).click();
  const add = page.getByRole('dialog', { name: 'Add device' });
  await add.getByRole('textbox', { name: 'Name' }).fill('board-pp');
  await add.getByRole('textbox', { name: 'Host' }).fill(board.sshd.host);
  await add.getByRole('spinbutton', { name: 'SSH port' }).fill(String(board.sshd.port));
  await add.getByRole('textbox', { name: 'User' }).fill(board.user.name);
  await add.getByRole('combobox', { name: 'Log in with' }).selectOption('key');
  await add.getByRole('textbox', { name: 'Key file' }).fill(board.key.privateFile);
  await add
    .getByRole('spinbutton', { name: 'Agent port' })
    .fill(String(await freePort('127.0.0.1')));
  await add.getByRole('button', { name: 'Add device' }).click();
  await add.waitFor({ state: 'hidden' });

  await page.getByRole('checkbox', { name: 'Choose board-pp' }).check();
  await page.getByRole('button', { name: 'Provision 1 board' }).click();
  const trust = page.getByRole('dialog', { name: 'Trust board-pp?' });
  await trust.waitFor({ timeout: 60_000 });
  await trust.getByRole('button', { name: 'Trust, remember and provision' }).click();

  const ask = page.getByRole('dialog', { name: 'Key passphrase of board-pp' });
  await ask.waitFor({ timeout: 60_000 });
  expect(await ask.textContent()).toContain('protected by a passphrase');
  expect(await lab.unnamedControls()).toEqual([]);
  // A wrong passphrase is refused against the key itself, and the dialog stays.
  await ask.getByLabel('Passphrase', { exact: true }).fill(`${PASSPHRASE}-not`);
  await ask.getByRole('button', { name: 'Save passphrase' }).click();
  await ask.getByRole('alert').waitFor();
  expect(await ask.getByRole('alert').textContent()).toContain(
    `that passphrase does not open ${board.key.privateFile}`,
  );
  await ask.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await ask.getByRole('button', { name: 'Save passphrase' }).click();
  await ask.waitFor({ state: 'hidden' });

  const status = page.getByRole('row', { name: /board-pp/ }).locator('td[data-status]');
  await page.locator('td[data-status="ok"]').waitFor({ timeout: 240_000 });
  await expect
    .poll(() => status.textContent(), { timeout: 30_000 })
    .toMatch(
      /provisioned: agent \d+\.\d+\.\d+.*\+[0-9a-f]{12}, active \(background\), no parts, seen/,
    );
  expect(lab.consoleErrors).toEqual([]);
  await lab.close();

  // Kept in serve's memory only: not in its data folder, not in what it printed.
  const files = readdirSync(serve.dataDir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(serve.dataDir, f))
    .filter((p) => statSync(p).isFile());
  for (const f of files) expect(readFileSync(f).includes(PASSPHRASE), f).toBe(false);
  expect(serve.stderr()).not.toContain(PASSPHRASE);
  expect(serve.stdout.join('\n')).not.toContain(PASSPHRASE);
}, 360_000);
