// The Plan view on a search long enough to watch: vgg16 for energy on 384 emulated boards of six
// kinds shows the search's progress (step, states, best so far) and stops on Cancel with the
// core's sentence, the page answering all along; then the paper's six Pi 3s planned with
// alternatives, one of which says how it differs from the best plan and why it ranks lower.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  serve = await startServe();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('planning progress on the Plan view', () => {
  it('shows a big search under way, cancels it, then explains an alternative', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Plan');
    const counts = page.getByRole('group', { name: 'Devices' });
    await page.getByRole('combobox', { name: 'Model' }).selectOption('vgg16');
    const boards = counts.getByRole('spinbutton');
    const kinds = await boards.count();
    expect(kinds).toBe(6);
    for (let i = 0; i < kinds; i++) await boards.nth(i).fill('64');
    await page.getByRole('combobox', { name: 'Optimise for' }).selectOption('energy');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();

    const progress = page.getByRole('region', { name: 'Planning progress' });
    await progress.getByText(/step \d+ of about \d+, \d+ states; best so far/).waitFor({
      timeout: 60_000,
    });
    // The core answers while it searches: Cancel reaches it mid-search.
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'planning was cancelled' })
      .waitFor({ timeout: 60_000 });
    expect(await progress.count()).toBe(0);

    // The paper's farm: the best plan and two leaner alternatives.
    await page.getByRole('combobox', { name: 'Model' }).selectOption('alexnet-mc');
    for (let i = 0; i < kinds; i++) await boards.nth(i).fill('0');
    await counts.getByRole('spinbutton', { name: 'pi3', exact: true }).fill('6');
    await page.getByRole('combobox', { name: 'Optimise for' }).selectOption('ips');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    const compare = page.getByRole('table').filter({ has: page.getByText('Plans compared') });
    await compare.waitFor({ timeout: 60_000 });
    await compare.getByRole('button', { name: 'Alternative 1' }).click();
    const against = page.getByRole('region', { name: 'Against the best plan' });
    await against.waitFor();
    expect(await against.textContent()).toMatch(
      /is the bottleneck: \d\.\d{3} s a frame vs \d\.\d{3} s for the best plan's/,
    );
    expect(await against.getByRole('listitem').count()).toBeGreaterThan(0);
    expect(await lab.unnamedControls()).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  });
});
