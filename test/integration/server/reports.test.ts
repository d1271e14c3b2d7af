// The Reports view's commands through the core's dispatcher: export a real recorded run (the
// demo run on two local agents) in every format, refuse to delete a live run, delete a finished one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../src-main/contract/index';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';

let dataDir: string;
let core: Core;

function result<T>(envelope: Awaited<ReturnType<Core['dispatch']>>): T {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.result as T;
}

/** Starts a demo run and resolves with its id once it has reached `state`. */
async function demoUntil(frames: number, state: 'running' | 'done'): Promise<string> {
  const states: Array<EventPayload<'run/state'>> = [];
  const unsubscribe = core.events.subscribe((name, payload) => {
    if (name === 'run/state') states.push(payload as EventPayload<'run/state'>);
  });
  try {
    const { runId } = result<{ runId: string }>(await core.dispatch('demo/start', { frames }));
    await expect
      .poll(() => states.find((s) => s.runId === runId && s.state === state), { timeout: 60_000 })
      .toBeTruthy();
    return runId;
  } finally {
    unsubscribe();
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-reports-'));
  core = createCore({ mode: 'serve', dataDir, log: createLogger('silent') });
});

afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('reports', () => {
  it('exports a finished run as JSON, CSV, HTML and PDF, then deletes it', async () => {
    const runId = await demoUntil(20, 'done');
    const exported = async (format: string) =>
      result<{ fileName: string; mime: string; base64: string }>(
        await core.dispatch('reports/export', { runIds: [runId], format }),
      );

    const json = await exported('json');
    expect(json).toMatchObject({ fileName: `${runId}.json`, mime: 'application/json' });
    expect(Buffer.from(json.base64, 'base64').toString('utf8')).toContain(runId);
    const csv = Buffer.from((await exported('csv')).base64, 'base64').toString('utf8');
    expect(csv.split('\n').length).toBeGreaterThan(1);
    const html = Buffer.from((await exported('html')).base64, 'base64').toString('utf8');
    expect(html).toMatch(/<html/i);
    const pdf = Buffer.from((await exported('pdf')).base64, 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    expect(await core.dispatch('run/delete', { runId })).toEqual({
      ok: true,
      result: { deleted: runId },
    });
    const runs = result<{ runs: Array<{ id: string }> }>(await core.dispatch('run/list', {})).runs;
    expect(runs.map((r) => r.id)).not.toContain(runId);
    expect(await core.dispatch('run/delete', { runId })).toMatchObject({
      ok: false,
      error: { code: 'RUN_NOT_FOUND' },
    });
  }, 120_000);

  it('refuses to delete a run that is still going', async () => {
    const runId = await demoUntil(100_000, 'running');
    expect(await core.dispatch('run/delete', { runId })).toMatchObject({
      ok: false,
      error: { code: 'RUN_LIVE' },
    });
    await core.dispatch('run/stop', { runId });
  }, 120_000);

  it("gives the paper's figures for the model a run used, and none for another", async () => {
    const alexnet = result<{
      paperModel: string | null;
      figures: Array<{ system: string; ips: number }>;
    }>(await core.dispatch('reports/paper', { model: 'alexnet-mc' }));
    expect(alexnet.paperModel).toBe('AlexNet');
    expect(alexnet.figures.find((f) => f.system === '6 Pis')?.ips).toBe(5.7);
    expect(await core.dispatch('reports/paper', { model: 'tiny-cnn' })).toEqual({
      ok: true,
      result: { paperModel: null, figures: [] },
    });
  });
});
