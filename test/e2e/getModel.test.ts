// "Get a trained model" in Chromium against a real `mchair serve` and a local HTTPS mirror with
// its own CA (trusted through NODE_EXTRA_CA_CERTS): a mirror is added in Settings, the trained
// float16 SqueezeNet of the fixtures is got from the Models view and lands in the library, and a
// download from a slow mirror shows its progress bar (bytes, rate, time left) and is cancelled,
// its bytes kept for a resume. Every other address goes to a proxy that refuses.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueEntry } from '../../src-main/model/catalogue';
import {
  refusedPort,
  sealedEnv,
  startZooServer,
  type ZooServer,
} from '../integration/download/zooServer';
import { CHROMIUM_ARGS, LabPage } from './labPage';
import { startServe, type ServeProcess } from './serveProcess';

const fixture = readFileSync('test/fixtures/squeezenet1.1-fp16/model.onnx');
const trained = catalogueEntry('squeezenet1.1-fp16')!;
const slow = catalogueEntry('mobilenetv2-12-int8')!;
const dir = mkdtempSync(join(tmpdir(), 'mchair-e2e-get-'));
const SHOTS = process.env.MCHAIR_SCREENSHOTS ?? 'out/e2e';

let server: ZooServer;
let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  server = await startZooServer();
  server.routes.set(`/lab/${trained.path}`, { kind: 'serve', bytes: fixture });
  // 32 KiB every 100 ms: the 3.5 MiB file would take ~11 s, long enough to watch and cancel.
  server.routes.set(`/lab/${slow.path}`, {
    kind: 'slow',
    bytes: Buffer.alloc(slow.bytes, 1),
    chunk: 32 * 1024,
    everyMs: 100,
  });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, server.ca);
  serve = await startServe({ env: sealedEnv(caFile, await refusedPort()) });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (serve) expect(await serve.stop()).toBe(0);
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Get a trained model', () => {
  it('gets a model through a mirror set in Settings, and cancels a slow one', async () => {
    const lab = await LabPage.open(browser, serve.url);
    const page = lab.page;
    await lab.openView('Settings');
    await page.getByText('No mirror saved').waitFor();
    const form = page.getByRole('form', { name: 'Add a mirror' });
    await form.getByRole('textbox', { name: 'Mirror URL' }).fill('ftp://nowhere');
    await form.getByRole('button', { name: 'Add mirror' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(
      /must start with https:\/\/ or http:\/\//,
    );
    await form.getByRole('textbox', { name: 'Mirror URL' }).fill(`${server.base}/lab/`);
    await form.getByRole('button', { name: 'Add mirror' }).click();
    await page
      .getByRole('list', { name: 'Saved mirrors' })
      .getByText(`${server.base}/lab`)
      .waitFor();
    expect(JSON.parse(readFileSync(join(serve.dataDir, 'mirrors.json'), 'utf8')).mirrors).toEqual([
      `${server.base}/lab`,
    ]);

    await lab.openView('Models');
    await page.getByRole('button', { name: 'Get a trained model…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Get a trained model' });
    const card = dialog.getByRole('listitem', { name: trained.card.title });
    expect(await card.textContent()).toContain('float16 NCHW BGR 0-255');
    await card.getByRole('button', { name: `Get ${trained.id}` }).click();
    await card.getByText('In the library').waitFor({ timeout: 60_000 });
    expect(await card.getByRole('status').textContent()).toMatch(
      /added to the library \(from mirror https:\/\/127\.0\.0\.1:\d+\/lab\)/,
    );
    expect(existsSync(join(serve.dataDir, 'models', `${trained.id}.onnx`))).toBe(true);

    const slowCard = dialog.getByRole('listitem', { name: slow.card.title });
    await slowCard.getByRole('button', { name: `Get ${slow.id}` }).click();
    const bar = slowCard.getByRole('progressbar', { name: `Downloading ${slow.id}` });
    await bar.waitFor();
    const caption = slowCard.getByRole('status');
    await expect
      .poll(async () => caption.textContent(), { timeout: 20_000 })
      .toMatch(
        /^\d+\.\d of 3\.5 MiB, \d+\.\d MiB\/s, \d+ s left · mirror https:\/\/127\.0\.0\.1:\d+\/lab$/,
      );
    expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'get-trained-model.png') });
    await slowCard.getByRole('button', { name: `Cancel the download of ${slow.id}` }).click();
    await slowCard.getByRole('alert').filter({ hasText: 'cancelled' }).waitFor();
    expect(await slowCard.getByRole('alert').textContent()).toMatch(
      /the download of mobilenetv2-12-int8 was cancelled at \d+\.\d MiB of 3\.5 MiB; get it again to resume/,
    );
    const part = join(serve.dataDir, 'models', '.downloads', `${slow.id}.part`);
    expect(statSync(part).size).toBeGreaterThan(0);
    expect(statSync(part).size).toBeLessThan(slow.bytes);
    await slowCard.getByRole('button', { name: `Get ${slow.id}` }).waitFor();

    await dialog.getByRole('button', { name: 'Close dialog' }).click();
    await page.getByRole('button', { name: `Show the layers of ${trained.id}` }).waitFor();

    // The same file fetched by hand and imported: the catalogue knows it by its sha256 and its
    // card comes with it, no form to fill.
    const file = join(dir, 'SqueezeNet_fp16.onnx');
    writeFileSync(file, fixture);
    await page.getByRole('button', { name: 'Import ONNX…' }).click();
    const importDialog = page.getByRole('dialog', { name: 'Import an ONNX model' });
    await importDialog.getByLabel('Choose an .onnx file or drop it here').setInputFiles(file);
    const known = importDialog.getByRole('region', { name: 'Catalogue card' });
    await known.waitFor();
    expect(await known.textContent()).toContain(trained.card.title);
    expect(await known.textContent()).toContain('float16 NCHW BGR 0-255');
    expect(await importDialog.getByRole('textbox', { name: 'Name in the lab' }).inputValue()).toBe(
      trained.id,
    );
    expect(await importDialog.getByRole('group', { name: 'Presets' }).count()).toBe(0);
    await importDialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await lab.unnamedControls()).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
  });
});
