// Provisioning from the Farm view in Chromium against a real `mchair serve` and a real OpenSSH
// board: find it with a network scan, add it, tick it, Provision; the host-key modal shows the board's SHA256
// fingerprint; accepted once it provisions the board and known_hosts stays untouched, so the next
// provisioning asks again; remembered, the key is written; a changed key is a red warning with both
// fingerprints whose only answer is to keep refusing.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../integration/ssh/sshd';
import { LabPage } from './labPage';
import { startServeWithBoard, type ServeWithBoard } from './serveWithBoard';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let bench: ServeWithBoard;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  bench = await startServeWithBoard();
});

afterAll(async () => bench?.stop());

describe('provisioning in Chromium', () => {
  it('asks about the host key by its fingerprint (accept once, remember), provisions, and refuses a changed key', async () => {
    const { serve, browser, user, key, sshd } = bench;
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
    // Other tests' agents may hold the default port on this machine.
    expect(await add.getByRole('spinbutton', { name: 'Agent port' }).inputValue()).toBe('7700');
    await add
      .getByRole('spinbutton', { name: 'Agent port' })
      .fill(String(await freePort('127.0.0.1')));
    await add.getByRole('button', { name: 'Add device' }).click();

    await page.getByRole('checkbox', { name: 'Choose board-1' }).check();
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    const ask = page.getByRole('dialog', { name: 'Trust board-1?' });
    await ask.waitFor({ timeout: 60_000 });
    // The same fingerprint ssh-keygen prints for the board's host key.
    const fingerprint = sshd.hostKeyFingerprint();
    expect(await ask.getByText(fingerprint).count()).toBe(1);
    // Rejecting is where focus starts: Enter alone never trusts a key.
    expect(await ask.locator('button:focus').textContent()).toBe('Reject');
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/farm-host-key.png` });

    // Accepted once: this provisioning goes through and known_hosts stays without the key.
    await ask.getByRole('button', { name: 'Accept once and provision' }).click();
    await page.getByRole('region', { name: 'Provisioning progress' }).waitFor();
    await page.locator('td[data-status="ok"]').waitFor({ timeout: 180_000 });
    expect(bench.rememberedKeys()).not.toContain(bench.hostKeyBlob());
    // So the next provisioning asks again; remembered, the key goes to known_hosts.
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    await ask.waitFor({ timeout: 60_000 });
    expect(await ask.getByText(fingerprint).count()).toBe(1);
    await ask.getByRole('button', { name: 'Trust, remember and provision' }).click();
    await ask.waitFor({ state: 'hidden' });
    await page.locator('td[data-status="ok"]').waitFor({ timeout: 180_000 });
    expect(await page.locator('td[data-status="ok"]').textContent()).toContain('provisioned');
    expect(bench.rememberedKeys()).toContain(bench.hostKeyBlob());
    await page.screenshot({ path: `${SHOTS}/farm-provisioned.png` });

    await page.getByRole('button', { name: 'Show the agent log of board-1' }).click();
    const log = page.getByRole('dialog', { name: 'Agent log of board-1' });
    const lines = log.getByLabel('Agent log lines');
    await lines.waitFor({ timeout: 60_000 });
    expect((await lines.textContent())?.trim().length).toBeGreaterThan(0);
    expect(await lines.textContent()).not.toBe('(empty)');
    await page.screenshot({ path: `${SHOTS}/farm-agent-log.png` });
    await log.getByRole('button', { name: 'Close', exact: true }).click();

    // The board comes back with another host key: a red warning with both fingerprints, and
    // the only answer is to keep refusing.
    await sshd.changeHostKey();
    const now = sshd.hostKeyFingerprint();
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    const changed = page.getByRole('dialog', { name: 'Host key of board-1 has changed' });
    await changed.waitFor({ timeout: 60_000 });
    const warning = changed.getByRole('alert');
    expect(await warning.textContent()).toContain('man-in-the-middle');
    // This file is type-checked without the DOM library, hence the cast.
    const colourOf = (el: unknown): string =>
      (
        globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }
      ).getComputedStyle(el).color;
    expect(await warning.evaluate(colourOf)).toMatch(
      /^rgb\((1[5-9]\d|2\d\d), (\d|[1-9]\d), (\d|[1-9]\d)\)$/,
    );
    expect(await changed.locator('dd').allTextContents()).toEqual([
      `ssh-ed25519 ${fingerprint}`,
      `ssh-ed25519 ${now}`,
    ]);
    expect(await changed.getByRole('button').allTextContents()).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/trust|accept/i)]),
    );
    expect((await changed.locator('button:focus').textContent())?.trim()).toBe('Keep refusing');
    expect(await lab.unnamedControls()).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/farm-host-key-changed.png` });
    await changed.getByRole('button', { name: 'Keep refusing' }).click();
    await changed.waitFor({ state: 'hidden' });
    expect(await page.locator('td[data-status="failed"]').textContent()).toContain(now);
    expect(bench.rememberedKeys()).not.toContain(bench.hostKeyBlob());
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 360_000);
});
