// `mchair bench transport`: frames/s and MB/s of the data plane itself. The coordinator sends
// frames of `bytes` to one agent running a no-op stage (it answers with the first 4 KB), which
// returns them to the coordinator's sink: the real protocol, mutual TLS 1.3, the real credit
// window, and nothing else.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEphemeralFarm } from '../farm/ephemeral';
import { placeParts } from '../farm/parts';
import type { Logger } from '../log';
import { Coordinator } from '../runtime/coordinator';
import { deploymentOf } from '../runtime/deployment';
import { writeNoopStage } from './noop';
import { partName } from '../../remote-agent/src/protocol/index';
import { syntheticSource } from '../runtime/source';

export const DEFAULT_WINDOW = 8;

export interface TransportFigures {
  fps: number;
  MBps: number;
  frames: number;
  bytes: number;
  window: number;
  /** Resident memory after warm-up and at the end (coordinator; agent from its telemetry). */
  rss: { coordinator: { warm: number; end: number }; agent: { warm: number; end: number } };
}

export async function benchTransport(o: {
  bytes: number;
  frames: number;
  window?: number;
  log: Logger;
}): Promise<TransportFigures> {
  const window = o.window ?? DEFAULT_WINDOW;
  const dir = await mkdtemp(join(tmpdir(), 'mchair-bench-'));
  const farm = await startEphemeralFarm({ agents: [{ id: 'noop' }], threads: 1 });
  try {
    const manifest = await placeParts(await writeNoopStage(dir, o.bytes), dir, farm.partsDir);
    // Synthetic frames are generated once and reused: the source must not be what is measured.
    const source = syntheticSource(manifest.input);
    const frame = await source.frame(0);
    const rss = { coordinator: { warm: 0, end: 0 }, agent: { warm: 0, end: 0 } };
    const warmAt = Math.min(1000, Math.floor(o.frames / 10));
    let warm = false;
    let agentRss = 0;
    const coordinator = new Coordinator({
      runId: `bench-${Date.now()}`,
      // The no-op stage computes nothing: it stays on the agent's wire thread, as any quick part.
      plan: deploymentOf(manifest, [[['noop']]], farm.agents, {
        expectMs: { [`noop/${partName(manifest.stages[0]!.id, 0)}`]: 0 },
      }),
      agents: farm.agents,
      identity: farm.coordinator,
      sinkHost: '127.0.0.1',
      source: { ...source, frame: async () => frame },
      frames: o.frames,
      window,
      log: o.log,
      onResult: (id) => {
        if (id === warmAt) {
          warm = true;
          rss.coordinator.warm = process.memoryUsage.rss();
        }
      },
      // The agent's size after warm-up is its first telemetry after the warm-up frame.
      onTelemetry: (t) => {
        agentRss = t.rssBytes;
        if (warm && rss.agent.warm === 0) rss.agent.warm = t.rssBytes;
      },
    });
    await coordinator.deploy();
    const out = await coordinator.run();
    rss.coordinator.end = process.memoryUsage.rss();
    rss.agent.end = agentRss;
    await coordinator.close();
    const fps = out.ips ?? 0;
    return { fps, MBps: (fps * o.bytes) / 1e6, frames: out.completed, bytes: o.bytes, window, rss };
  } finally {
    await farm.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
