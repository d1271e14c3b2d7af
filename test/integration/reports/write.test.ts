// reports/write as any adapter may send it (the CLI resolves --out first): a file by its absolute
// path only, and PDF or PNG only to a file, refused in one line before any run is read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';

let dataDir: string;
let core: Core;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-reports-write-'));
  core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
});
afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('reports/write', () => {
  it.each([
    [
      { runIds: ['r1'], format: 'html', out: 'report.html' },
      'reports/write.out: is not an absolute path',
    ],
    [{ runIds: ['r1'], format: 'pdf' }, 'out: a PDF report needs a file to go to'],
    [
      { runIds: ['r1'], figure: 'ips', format: 'png', dpi: 300 },
      'out: a PNG figure needs a file to go to',
    ],
  ])('refuses %j: %s', async (args, message) => {
    const envelope = await core.dispatch('reports/write', args);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!envelope.ok) expect(envelope.error.message).toBe(message);
  });

  it('reads the runs only then: an unknown one is named', async () => {
    const envelope = await core.dispatch('reports/write', { runIds: ['nope'], format: 'csv' });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
  });
});
