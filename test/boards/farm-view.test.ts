// Provisioning a mixed pair of arm boards from the Farm view (a real `mchair serve`, Debian's
// Chromium): an arm64 and an armhf board without Node, added by hand and provisioned in one
// action. Before, the app never passed a Node and every such board ended in NO_NODE; now each
// gets the app's own Node for its CPU, the runtime it can run, and the row says what was sent.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../integration/ssh/sshd';
import { CHROMIUM_ARGS, LabPage } from '../e2e/labPage';
import { startServe, type ServeProcess } from '../e2e/serveProcess';
import { startEmulatedBoard, type EmulatedBoard } from './emulated';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let lab: Lab;
let boards: Array<[string, EmulatedBoard]>;
let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = createLab(2);
  const [arm64, armhf] = await Promise.all([
    startEmulatedBoard('arm64', lab.boards[0]!),
    startEmulatedBoard('armhf', lab.boards[1]!),
  ]);
  boards = [
    ['pi4-64', arm64],
    ['pi3-32', armhf],
  ];
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await Promise.all((boards ?? []).map(([, b]) => b.stop()));
  lab?.remove();
});

describe('the Farm view on arm boards without Node', () => {
  it('provisions an arm64 and an armhf board in one action, each with its Node', async () => {
    const view = await LabPage.open(browser, serve.url);
    const page = view.page;
    await view.openView('Farm');
    for (const [name, board] of boards) {
      await page.getByRole('button', { name: 'Add device…' }).click();
      const add = page.getByRole('dialog', { name: 'Add device' });
      await add.getByRole('textbox', { name: 'Name' }).fill(name);
      await add.getByRole('textbox', { name: 'Host' }).fill(board.sshd.host);
      await add.getByRole('textbox', { name: 'User' }).fill(board.user.name);
      await add.getByRole('combobox', { name: 'Log in with' }).selectOption('key');
      await add.getByRole('textbox', { name: 'Key file' }).fill(board.key.privateFile);
      await add.getByRole('button', { name: 'Add device' }).click();
      await add.waitFor({ state: 'hidden' });
      await page.getByRole('checkbox', { name: `Choose ${name}` }).check();
    }
    await page.getByRole('button', { name: 'Provision 2 boards' }).click();
    // Each new board's host key is asked about once, then remembered: the app asks one board at
    // a time and provisions it once trusted (under qemu that takes a minute or two).
    const ok = page.locator('td[data-status="ok"]');
    const deadline = Date.now() + 600_000;
    while ((await ok.count()) < 2 && Date.now() < deadline) {
      const ask = page.getByRole('dialog', { name: /^Trust / });
      if (await ask.isVisible()) {
        // The question stays up while its board provisions; the next board's follows it.
        const asked = page.getByRole('dialog', { name: (await ask.getAttribute('aria-label'))! });
        await asked.getByRole('button', { name: 'Trust, remember and provision' }).click();
        await asked.waitFor({ state: 'hidden', timeout: 300_000 });
      }
      const failed = await page.locator('td[data-status="failed"]').allTextContents();
      expect(failed.filter((t) => !/host key of .* is not known yet/.test(t))).toEqual([]);
      await page.waitForTimeout(500);
    }
    await page.screenshot({ path: `${SHOTS}/farm-arm-boards.png` });
    const row = (name: string) =>
      page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
    expect(await row('pi4-64').locator('td[data-status]').textContent()).toMatch(
      /provisioned: agent .*; native runtime, Node sent \(40\.7 MiB\)/,
    );
    expect(await row('pi3-32').locator('td[data-status]').textContent()).toMatch(
      /provisioned: agent .*; wasm runtime, Node sent \(35\.5 MiB\)/,
    );
    for (const [, board] of boards)
      expect(board.run('ls /home/pi/.mchair-agent/node/bin')).toBe('node\n');
    // Their keys known, the mixed pair is provisioned again in one action, nothing asked.
    await page.getByRole('button', { name: 'Provision 2 boards' }).click();
    const progress = page.getByRole('region', { name: 'Provisioning progress' });
    await progress.waitFor();
    await progress.waitFor({ state: 'hidden', timeout: 300_000 });
    expect(await ok.count()).toBe(2);
    expect(await page.getByRole('dialog', { name: /^Trust / }).count()).toBe(0);
  }, 900_000);
});
