// Provisioning from the Farm view in Chromium against a real `mchair serve` and a real OpenSSH
// board: find it with a network scan, add it, tick it, Provision; the host-key modal shows the board's SHA256
// fingerprint, trusting it provisions the board with progress per step, and the table says so.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let serve: ServeProcess;
let browser: Browser;
let user: TestUser;
let key: KeyPair;
let sshd: Sshd;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = tempDir('mchair-e2e-board');
  user = createUser('mce', dir);
  key = makeKey(dir, 'id_lab');
  sshd = await startSshd({ users: [user.name] });
  sshd.authorize(user.name, key.publicLine);
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await sshd?.stop();
  if (user) removeUser(user);
});

describe('provisioning in Chromium', () => {
  it('asks to trust the host key by its fingerprint, then provisions the board', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Farm');
    // Find the board the way a lab does: scan its address for an SSH greeting, then add it.
    await page.getByRole('button', { name: 'Scan network…' }).click();
    const scan = page.getByRole('dialog', { name: 'Scan the network' });
    await scan.getByRole('textbox', { name: 'Subnet' }).fill(`${sshd.host}/32`);
    await scan.getByRole('spinbutton', { name: 'SSH port' }).fill(String(sshd.port));
    await scan.getByRole('button', { name: 'Scan', exact: true }).click();
    await scan.getByRole('row', { name: /SSH-2\.0-OpenSSH/ }).waitFor({ timeout: 30_000 });
    await scan.getByRole('button', { name: `Add ${sshd.host} as a device` }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    expect(await add.getByRole('textbox', { name: 'Host' }).inputValue()).toBe(sshd.host);
    expect(await add.getByRole('spinbutton', { name: 'SSH port' }).inputValue()).toBe(
      String(sshd.port),
    );
    await add.getByRole('textbox', { name: 'Name' }).fill('board-1');
    await add.getByRole('textbox', { name: 'User' }).fill(user.name);
    await add.getByRole('combobox', { name: 'Log in with' }).selectOption('key');
    await add.getByRole('textbox', { name: 'Key file' }).fill(key.privateFile);
    await add.getByRole('button', { name: 'Add device' }).click();

    await page.getByRole('checkbox', { name: 'Choose board-1' }).check();
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    const ask = page.getByRole('dialog', { name: 'Trust board-1?' });
    await ask.waitFor({ timeout: 60_000 });
    // The same fingerprint ssh-keygen prints for the board's host key.
    const fingerprint = execFileSync('ssh-keygen', ['-lf', `${sshd.hostKey.privateFile}.pub`])
      .toString()
      .split(' ')[1]!;
    expect(await ask.getByText(fingerprint).count()).toBe(1);
    // Rejecting is where focus starts: Enter alone never trusts a key.
    expect(await ask.locator('button:focus').textContent()).toBe('Reject');
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/farm-host-key.png` });

    await ask.getByRole('button', { name: 'Trust, remember and provision' }).click();
    await page.getByRole('region', { name: 'Provisioning progress' }).waitFor();
    await page.locator('td[data-status="ok"]').waitFor({ timeout: 180_000 });
    expect(await page.locator('td[data-status="ok"]').textContent()).toContain('provisioned');
    await page.screenshot({ path: `${SHOTS}/farm-provisioned.png` });

    await page.getByRole('button', { name: 'Show the agent log of board-1' }).click();
    const log = page.getByRole('dialog', { name: 'Agent log of board-1' });
    const lines = log.getByLabel('Agent log lines');
    await lines.waitFor({ timeout: 60_000 });
    expect((await lines.textContent())?.trim().length).toBeGreaterThan(0);
    expect(await lines.textContent()).not.toBe('(empty)');
    await page.screenshot({ path: `${SHOTS}/farm-agent-log.png` });
    await log.getByRole('button', { name: 'Close', exact: true }).click();
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 240_000);
});
