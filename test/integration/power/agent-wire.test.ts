// agent:// over the real wire: an agent endpoint (Avro RPC over mutual TLS, the remote agent's
// own `serve`) answering ping and powerRead from a fake TX2 sysfs tree through the board reader,
// its clock 10 s ahead; the coordinator's connector measures the offset and the power session
// places the agent's readings on its own clock.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerHandle } from '../../../remote-agent/src/protocol/endpoint';
import type { Manifest } from '../../../src-main/contract/index';
import { createFarmCa, issueIdentity } from '../../../src-main/farm/pki';
import { createLogger } from '../../../src-main/log';
import { findRailsSource, nodeBoardIo, readBoardRails } from '../../../remote-agent/src/rails';
import { monotonicClock } from '../../../src-main/power/clock';
import { readMeter } from '../../../src-main/power/read';
import { runEnergy, sessionMeters, startPowerSession } from '../../../src-main/power/session';
import { Coordinator } from '../../../src-main/runtime/coordinator';
import { syntheticSource } from '../../../src-main/runtime/source';
import { deploymentOf } from '../../../src-main/runtime/deployment';

const AGENT = 'tx2-1';
const AHEAD_MS = 10_000;
const VDD_IN = 'sys/bus/i2c/drivers/ina3221x/0-0041/iio:device1';
let root: string;
let agent: ServerHandle;
let coordinator: Coordinator;
let answer: 'rails' | 'garbage' = 'rails';

const setInputMw = (mw: number): Promise<void> =>
  writeFile(join(root, VDD_IN, 'in_power0_input'), `${mw}\n`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mchair-agent-power-'));
  await mkdir(join(root, VDD_IN), { recursive: true });
  await writeFile(join(root, VDD_IN, 'rail_name_0'), 'VDD_IN\n');
  await writeFile(join(root, VDD_IN, 'rail_name_1'), 'VDD_SYS_CPU\n');
  await writeFile(join(root, VDD_IN, 'in_power1_input'), '400\n');
  await setInputMw(3000);
  const io = { ...nodeBoardIo(root), now: () => performance.now() + AHEAD_MS };
  const source = await findRailsSource(io);

  const ca = await createFarmCa('power-test');
  const agentId = await issueIdentity(ca, AGENT, ['127.0.0.1']);
  const coordId = await issueIdentity(ca, 'coordinator', ['127.0.0.1']);
  agent = await serve(
    '127.0.0.1',
    0,
    {
      ping: async (nonce) => ({
        agentId: AGENT,
        protocolVersion: 1,
        backend: 'sim',
        profile: null,
        runId: null,
        uptimeMs: 1,
        now: performance.now() + AHEAD_MS,
        nonce,
      }),
      powerRead: async () =>
        answer === 'rails'
          ? JSON.stringify(await readBoardRails(io, source))
          : '{"t": 1, "source": "ina3221", "totalW"',
    },
    { tls: { ca: ca.cert, ...agentId } },
  );
  const input = { name: 'input', dtype: 'uint8' as const, shape: [1, 3, 8, 8] };
  const manifest: Manifest = {
    model: 'none',
    input,
    output: 'out',
    stages: [
      {
        id: 's0',
        parts: [{ file: 'p.onnx', sha256: '0'.repeat(64), inputs: ['input'], outputs: ['out'] }],
      },
    ],
  };
  const agents = [{ id: AGENT, host: '127.0.0.1', port: agent.port, profile: null }];
  coordinator = new Coordinator({
    runId: 'power-test',
    plan: deploymentOf(manifest, [[[AGENT]]], agents),
    agents,
    identity: { id: 'coordinator', tls: { ca: ca.cert, ...coordId } },
    sinkHost: '127.0.0.1',
    source: syntheticSource(input),
    frames: 0,
    window: 1,
    log: createLogger('silent'),
  });
});

afterAll(async () => {
  await coordinator?.close();
  await agent?.close();
  await rm(root, { recursive: true, force: true });
});

describe('agent:// through the agent protocol', () => {
  it("measures a board's VDD_IN on the session's clock", async () => {
    const clock = monotonicClock();
    answer = 'rails';
    const session = await startPowerSession({
      meters: sessionMeters([`agent://${AGENT}?interval=0.05`], undefined, {
        agents: coordinator.powerConnector(clock),
      }),
      idleSeconds: 0.4,
      clock,
    });
    await setInputMw(4500);
    await new Promise((r) => setTimeout(r, 600));
    const summary = await session.stop({ fromMs: session.runStartMs, toMs: clock.now() });
    const samples = session.samples.get(`agent@${AGENT}`)!;
    // The agent's 10 s lead is gone: every reading sits where it was taken on our clock.
    expect(samples.every((s) => s.t >= 0 && s.t <= summary.runEndMs + 100)).toBe(true);
    expect(summary.meters[0]!.idleW).toBeCloseTo(3, 9);
    expect(summary.meters[0]!.run.maxW).toBe(4.5);
    expect(summary.meters[0]!.run.samples).toBeGreaterThan(5);
    const e = runEnergy(summary, { frames: 10, ips: 20 }, 10);
    expect(e.meters[0]!.scope).toEqual({ kind: 'devices', devices: [AGENT] });
    expect(e.perInferenceJ!.static).toBeCloseTo(3 / 20, 6);
  });

  it('refuses an answer that is not JSON in one line', async () => {
    answer = 'garbage';
    await expect(
      readMeter(`agent://${AGENT}`, {
        seconds: 0.3,
        agents: coordinator.powerConnector(monotonicClock()),
      }),
    ).rejects.toThrow(/^agent@tx2-1: powerRead answer is not JSON \(/);
  });

  it('names a device the farm does not have', async () => {
    await expect(
      readMeter('agent://pi-9', {
        seconds: 0.3,
        agents: coordinator.powerConnector(monotonicClock()),
      }),
    ).rejects.toThrow('no device "pi-9" in this run\'s farm');
  });
});
