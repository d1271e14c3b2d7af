// A run on the lab's own board from the Run view in Chromium, against a real `mchair serve` and a
// real OpenSSH board: the board (added with the CLI on serve's data folder, as a lab may, with an
// agent port of its own) is provisioned from the Farm view with its host key accepted once, then
// picked under "The lab's boards" in the Run view, which asks about the key again before the run
// starts; the run pushes the plan's part to the board's agent over SFTP and ends done. Then a
// plan made in the Plan view on the lab's boards is deployed there and runs, asking nothing: the
// key was remembered at the Run view's question.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src-main/contract/index';
import { runMchair } from '../integration/cli/run-mchair';
import { addBoardArgs } from '../integration/provision/addBoard';
import { LabPage } from './labPage';
import { startServeWithBoard, type ServeWithBoard } from './serveWithBoard';

const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let bench: ServeWithBoard;

beforeAll(async () => {
  bench = await startServeWithBoard();
  const added = await runMchair(
    '--data-dir',
    bench.serve.dataDir,
    ...(await addBoardArgs('board-1', bench)),
  );
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => bench?.stop());

describe("a run on the lab's boards from the Run view", () => {
  it('provisions the board (key accepted once), asks again at Start, then runs on it with the plan part pushed to it', async () => {
    const { serve, browser, user } = bench;
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Farm');
    await page.getByRole('checkbox', { name: 'Choose board-1' }).check();
    await page.getByRole('button', { name: 'Provision 1 board' }).click();
    const ask = page.getByRole('dialog', { name: 'Trust board-1?' });
    await ask.waitFor({ timeout: 60_000 });
    const fingerprint = await ask.locator('.fingerprint code').textContent();
    await ask.getByRole('button', { name: 'Accept once and provision' }).click();
    await page.locator('td[data-status="ok"]').waitFor({ timeout: 180_000 });
    // Accepted once: known_hosts was not touched.
    expect(bench.rememberedKeys()).not.toContain(bench.hostKeyBlob());

    await lab.openView('Run');
    const setup = page.getByRole('form', { name: 'Run setup' });
    await setup.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await setup.getByRole('radio', { name: "The lab's boards" }).check();
    const start = setup.getByRole('button', { name: 'Start run' });
    // No board ticked yet: nothing to run on.
    expect(await start.isDisabled()).toBe(true);
    await setup.getByRole('checkbox', { name: 'board-1' }).check();
    await setup.getByRole('spinbutton', { name: 'Frames' }).fill('20');
    expect(await lab.unnamedControls()).toEqual([]);
    await start.click();
    // The key was accepted for that provisioning only: the run asks again, with the same key.
    const again = page.getByRole('dialog', { name: 'Trust board-1?' });
    await again.waitFor({ timeout: 60_000 });
    expect(await again.locator('.fingerprint code').textContent()).toBe(fingerprint);
    await page.screenshot({ path: `${SHOTS}/run-host-key.png` });
    // Refused: no run, and the Run view says why.
    await again.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('alert').getByText('board-1: its host key was not trusted').waitFor();
    expect(await page.locator('.state').count()).toBe(0);
    await start.click();
    await again.getByRole('button', { name: 'Trust, remember and run' }).click();
    await expect.poll(() => bench.rememberedKeys()).toContain(bench.hostKeyBlob());
    const done = page.locator('.state[data-state="done"]');
    await done.waitFor({ timeout: 120_000 });
    await page.screenshot({ path: `${SHOTS}/run-lab-boards.png` });

    const runId = (await done.locator('code').textContent())!.trim();
    const manifest = JSON.parse(
      readFileSync(join(serve.dataDir, 'runs', runId, 'manifest.json'), 'utf8'),
    ) as Manifest;
    const shas = manifest.stages.flatMap((s) => s.parts.map((p) => p.sha256));
    const parts = join(user.home, '.mchair-agent', 'parts');
    for (const sha of shas) {
      expect(readdirSync(parts)).toContain(`${sha}.onnx`);
      const bytes = readFileSync(join(parts, `${sha}.onnx`));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
    }

    // A plan made in the Plan view on the lab's boards deploys to them.
    await lab.openView('Plan');
    await page.getByRole('radio', { name: "My farm's boards" }).check();
    await page.getByRole('combobox', { name: 'Model' }).selectOption('tiny-cnn');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.getByRole('button', { name: 'Deploy best plan…' }).click({ timeout: 60_000 });
    await page.getByRole('heading', { level: 1, name: 'Run' }).waitFor();
    await setup.getByText('from the Plan view').waitFor();
    expect(await setup.getByRole('radio', { name: "The lab's boards" }).isChecked()).toBe(true);
    expect(await setup.getByRole('checkbox', { name: 'board-1' }).isChecked()).toBe(true);
    await start.click();
    await expect
      .poll(
        async () => {
          const state = page.locator('.state');
          return `${await state.getAttribute('data-state')} ${await state.locator('code').textContent()}`;
        },
        { timeout: 120_000 },
      )
      .toMatch(new RegExp(`^done (?!${runId})`));
    expect(lab.consoleErrors).toEqual([]);
    await lab.close();
  }, 360_000);
});
