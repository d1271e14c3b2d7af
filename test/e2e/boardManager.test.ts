// The Farm view as the lab's board manager, in Chromium against real `mchair serve` processes and
// a real OpenSSH board: what the board says about itself (agent version, service, parts) is read
// with Refresh (its unknown host key asked about first) and still shown after serve restarts on
// the same data folder; Reboot and Uninstall
// ask first, Cancel does nothing, and what the board ran is checked (its PATH starts with a
// `systemctl` of the test's that records its calls: there is no systemd here); and the Scan dialog
// finds a board announcing itself over mDNS on a lab network of network namespaces.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBoardArgs } from '../integration/provision/addBoard';
import { createLab, startBoard, tempDir, type Board, type Lab } from '../integration/ssh/sshd';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const RESPONDER = new URL('../integration/ssh/mdns-responder.mjs', import.meta.url).pathname;
const VERSION = '0.1.0+0123456789ab';
let dir: string;
let home: string;
let calls: string;
let board: Board;
let browser: Browser;
let serve: ServeProcess | null = null;
let lab: Lab;
let responder: ChildProcess | null = null;

const mchair = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/mchair.js', '--data-dir', home, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

beforeAll(async () => {
  dir = tempDir('mchair-e2e-manager');
  home = join(dir, 'data');
  const bin = join(dir, 'bin');
  calls = join(dir, 'calls');
  mkdirSync(bin);
  writeFileSync(calls, '');
  chmodSync(calls, 0o666);
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> ${calls}\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  board = await startBoard(dir, {
    userPrefix: 'mcm',
    sshd: { setEnv: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin` } },
  });
  // The agent folder as provisioning leaves it (background mode: no systemd here).
  const agent = join(board.user.home, '.mchair-agent');
  mkdirSync(join(agent, 'parts'), { recursive: true });
  writeFileSync(join(agent, 'service-mode'), 'background\n');
  writeFileSync(join(agent, 'argv.json'), '["node","agent/mchair-agent.mjs"]\n');
  writeFileSync(join(agent, 'agent-version'), `${VERSION}\n`);
  writeFileSync(join(agent, 'parts', `${'b'.repeat(64)}.onnx`), Buffer.alloc(3 * 2 ** 20));
  execFileSync('chown', ['-R', `${board.user.name}:`, agent]);
  const add = mchair(...(await addBoardArgs('board-1', board)));
  expect(add.stderr).toBe('');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  lab = createLab(1);
  responder = spawn(
    'ip',
    [
      'netns',
      'exec',
      lab.boards[0]!.name,
      process.execPath,
      RESPONDER,
      lab.boards[0]!.boardAddress,
      'pi-lab-07',
      'ssh',
      '2222',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    createInterface({ input: responder!.stdout! }).once('line', () => resolve()),
  );
}, 120_000);

afterAll(async () => {
  responder?.kill('SIGTERM');
  lab?.remove();
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await board?.stop();
});

const statusCell = (page: LabPage['page']) =>
  page.getByRole('row', { name: /board-1/ }).locator('td[data-status]');

describe('the Farm view as the board manager', () => {
  it("shows a board's own state, remembered across a restart, and reboots and uninstalls with a confirmation", async () => {
    serve = await startServe({ home });
    let lab1 = await LabPage.open(browser, serve.url);
    await lab1.openView('Farm');
    let page = lab1.page;
    expect(await statusCell(page).textContent()).toContain('not read from the board yet');
    await page.getByRole('button', { name: 'Refresh every board' }).click();
    // A board never reached from here: its host key is asked about first, as for provisioning.
    const trust = page.getByRole('dialog', { name: 'Trust board-1?' });
    await trust.waitFor({ timeout: 60_000 });
    expect(await trust.getByText(board.sshd.hostKeyFingerprint()).count()).toBe(1);
    await trust.getByRole('button', { name: 'Trust, remember and refresh' }).click();
    await trust.waitFor({ state: 'hidden' });
    await expect
      .poll(() => statusCell(page).textContent(), { timeout: 60_000 })
      .toMatch(
        new RegExp(
          `agent ${VERSION.replace('+', '\\+')}, inactive \\(background\\), 1 part \\(3\\.0 MiB\\), seen`,
        ),
      );
    await lab1.close();

    // serve restarts on the same data folder: the board's state is there without asking it.
    expect(await serve.stop()).toBe(0);
    serve = await startServe({ home });
    lab1 = await LabPage.open(browser, serve.url);
    page = lab1.page;
    await lab1.openView('Farm');
    await expect
      .poll(() => statusCell(page).textContent(), { timeout: 30_000 })
      .toContain(`agent ${VERSION}, inactive (background), 1 part (3.0 MiB)`);
    expect(await statusCell(page).getAttribute('data-service')).toBe('inactive');

    // Reboot asks first; Cancel sends nothing to the board.
    await page.getByRole('checkbox', { name: 'Choose board-1' }).check();
    await page.getByRole('button', { name: 'Reboot…' }).click();
    const ask = page.getByRole('dialog', { name: 'Reboot board' });
    await ask.waitFor();
    expect(await ask.textContent()).toContain('Reboot board-1?');
    expect(await ask.locator('button:focus').textContent()).toBe('Cancel');
    expect(await lab1.unnamedControls()).toEqual([]);
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden' });
    expect(readFileSync(calls, 'utf8')).toBe('');
    await page.getByRole('button', { name: 'Reboot…' }).click();
    await ask.getByRole('button', { name: 'Reboot', exact: true }).click();
    await expect
      .poll(() => statusCell(page).textContent(), { timeout: 60_000 })
      .toMatch(/^\s*rebooting \(seen/);
    expect(readFileSync(calls, 'utf8')).toBe('systemctl reboot\n');

    await page.getByRole('button', { name: 'Uninstall agent…' }).click();
    const uninstall = page.getByRole('dialog', { name: 'Uninstall board' });
    expect(await uninstall.textContent()).toContain('Uninstall the agent from board-1?');
    await uninstall.getByRole('button', { name: 'Uninstall', exact: true }).click();
    await expect
      .poll(() => statusCell(page).textContent(), { timeout: 60_000 })
      .toContain('no agent installed');
    expect(existsSync(join(board.user.home, '.mchair-agent'))).toBe(false);
    expect(lab1.consoleErrors).toEqual([]);
    await lab1.close();
  }, 240_000);

  it('the Scan dialog finds a board announcing itself over mDNS and adds it', async () => {
    serve ??= await startServe({ home });
    const lab1 = await LabPage.open(browser, serve.url);
    const page = lab1.page;
    await lab1.openView('Farm');
    await page.getByRole('button', { name: 'Scan network…' }).click();
    const scan = page.getByRole('dialog', { name: 'Scan the network' });
    await scan.getByRole('textbox', { name: 'Interface address' }).fill(lab.hostAddress);
    await scan.getByRole('button', { name: 'Listen for boards' }).click();
    const row = scan.getByRole('row', { name: /pi-lab-07\.local/ });
    await row.waitFor({ timeout: 30_000 });
    expect((await row.locator('td').allTextContents()).map((t) => t.trim())).toEqual([
      'pi-lab-07.local',
      lab.boards[0]!.boardAddress,
      '2222',
      'Add…',
    ]);
    expect(await lab1.unnamedControls()).toEqual([]);
    await scan.getByRole('button', { name: 'Add pi-lab-07.local as a device' }).click();
    const add = page.getByRole('dialog', { name: 'Add device' });
    expect(await add.getByRole('textbox', { name: 'Host' }).inputValue()).toBe(
      lab.boards[0]!.boardAddress,
    );
    expect(await add.getByRole('spinbutton', { name: 'SSH port' }).inputValue()).toBe('2222');
    await add.getByRole('button', { name: 'Cancel' }).click();
    expect(lab1.consoleErrors).toEqual([]);
    await lab1.close();
  }, 120_000);
});
