// `mchair demo`'s second part through the core (demo/paper), as the CLI calls it: a quick case on
// the virtual farm instead of the paper's seven, then the kitten on three of its emulated Pi 3s.
// The answer goes through the contract's client, which checks it against the command's schema,
// and every line the demo says arrives as a run/say event.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src-main/contract/client';
import { createCore, type Core } from '../../../src-main/core/index';
import { createLogger } from '../../../src-main/log';
import { snapshotBundles, type Bundles } from '../farm/bundles';

let dataDir: string;
let bundles: Bundles;
let core: Core;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-paper-core-'));
  bundles = await snapshotBundles();
  Object.assign(process.env, bundles.env);
  core = createCore({ mode: 'cli', dataDir, log: createLogger('silent') });
});
afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
  await bundles.remove();
});

describe('demo/paper', () => {
  it('runs the cases and recognises the kitten on one farm, saying each step', async () => {
    const client = createClient({
      invoke: (name, args) => core.dispatch(name, args),
      on: (name, listener) => core.events.on(name, listener),
    });
    const said: string[] = [];
    const off = client.on('run/say', (e) => said.push(e.line));
    const p = await client.call('demo/paper', {
      seconds: 1,
      cases: [{ model: 'tiny-cnn', boards: 3, plan: 'auto' }],
    });
    off();
    expect(p.failed).toEqual([]);
    expect(p.runs).toHaveLength(1);
    expect(p.runs[0]).toMatchObject({ model: 'tiny-cnn', boards: 3, plan: 'auto', state: 'done' });
    expect(p.runs[0]!.latencyMs).not.toBeNull();
    expect(p.table.find((r) => r.source === 'run')!.run!.runId).toBe(p.runs[0]!.runId);
    expect(existsSync(p.report!)).toBe(true);
    expect(p.recognition!.line).toMatch(/^kitten_224\.png -> 281 tabby, tabby cat 0\.93 \(/);
    // One farm, started once, then the kitten on it; the run's own lines come through too.
    expect(said.filter((l) => l.startsWith('virtual farm: 3 emulated pi3'))).toHaveLength(1);
    expect(said).toContain('recognition: the kitten through the trained SqueezeNet 1.1 on pi3:3');
    expect(said.findIndex((l) => l.startsWith('[1/1] tiny-cnn, auto on 3 pi3'))).toBeGreaterThan(0);
    expect(p.wallSeconds).toBeGreaterThanOrEqual(p.farmStartSeconds);
  }, 300_000);

  it('refuses cases it cannot run before starting a farm, in one line', async () => {
    const envelope = await core.dispatch('demo/paper', {
      cases: [{ model: 'tiny-cnn', boards: 3, plan: 'paper-7' }],
    });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!envelope.ok) expect(envelope.error.message).toMatch(/^demo\/paper\.cases\.0\.plan: /);
  });
});
