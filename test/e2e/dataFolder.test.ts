// Settings in Chromium against a real `mchair serve` changes the data folder: moved, what was in
// it (an inventory the CLI made) goes to the new folder and the home keeps a pointer the CLI
// follows; pointed to, the old folder stays as it is. The page says which it did.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMchairWith, type CliResult } from '../integration/cli/run-mchair';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const root = mkdtempSync(join(tmpdir(), 'mchair-folder-'));
const home = join(root, 'home');
let serve: ServeProcess;
let browser: Browser;

const mchair = (...args: string[]): Promise<CliResult> =>
  runMchairWith({ MCHAIR_HOME: home }, ...args);

beforeAll(async () => {
  expect((await mchair('devices', 'add', 'pi-1', '--host', '10.0.0.1', '--user', 'pi')).code).toBe(
    0,
  );
  serve = await startServe({ home });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('Settings: the data folder', () => {
  it('moves the data to a new folder, says so, and every program follows it', async () => {
    const lab = await LabPage.open(browser, serve.url);
    await lab.openView('Settings');
    await lab.page.getByText(home, { exact: true }).first().waitFor();
    const moved = join(root, 'moved');
    await lab.page.getByLabel('New data folder').fill(moved);
    await lab.page.getByRole('radio', { name: /Move it there/ }).check();
    await lab.page.getByRole('button', { name: 'Change data folder' }).click();
    const said = lab.page.getByTestId('data-folder-changed');
    await said.waitFor();
    expect((await said.innerText()).replace(/\s+/g, ' ')).toMatch(
      new RegExp(`^Moved \\d+ items? to ${moved}; start mchair serve again to use it`),
    );
    expect(existsSync(join(moved, 'inventory.json'))).toBe(true);
    expect(existsSync(join(home, 'inventory.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(home, 'data-folder.json'), 'utf8'))).toEqual({
      dataDir: moved,
    });
    // The CLI follows the pointer: the board added before the move is there.
    const info = await mchair('info', '--json');
    expect(JSON.parse(info.stdout)).toMatchObject({ dataDir: moved });
    expect((await mchair('devices', 'list', '--json')).stdout).toContain('pi-1');

    // Pointing to another folder leaves what is in the moved one where it is.
    const other = join(root, 'other');
    await lab.page.getByLabel('New data folder').fill(other);
    await lab.page.getByRole('radio', { name: /Leave it, and point/ }).check();
    await lab.page.getByRole('button', { name: 'Change data folder' }).click();
    await expect
      .poll(async () => (await said.innerText()).replace(/\s+/g, ' '))
      .toMatch(new RegExp(`^Pointing to \\(holding 0 items\\) ${other};`));
    expect(existsSync(join(moved, 'inventory.json'))).toBe(true);
    expect(JSON.parse((await mchair('info', '--json')).stdout)).toMatchObject({ dataDir: other });
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });

  it('refuses to move into a folder that is not empty, in one line on the page', async () => {
    const lab = await LabPage.open(browser, serve.url);
    await lab.openView('Settings');
    await lab.page.getByLabel('New data folder').fill(join(root, 'moved'));
    await lab.page.getByRole('radio', { name: /Move it there/ }).check();
    await lab.page.getByRole('button', { name: 'Change data folder' }).click();
    await expect
      .poll(() => lab.page.getByRole('alert').innerText())
      .toMatch(
        /moved is not empty \(inventory\.json.*\): move into an empty folder, or point to it/,
      );
    await lab.close();
  });
});
