// `agent://DEVICE`: a board's own rails (TX2 INA3221 or tegrastats, Pi 5 PMIC) read by the agent
// running on it. The coordinator hands in an AgentPowerLink per device; the agent answers
// `powerRead` with a RailsReading (rails.ts) stamped on its own monotonic clock, which the
// link's measured offset moves onto the coordinator's.
import { AppError, describeIssues } from '../contract/index';
import type { MeterInfo } from './meter';
import { PolledMeter } from './meter';
import { RailsReading } from '../../remote-agent/src/protocol/index';
import { MeterGarbageError, type Reading } from './sample';
import type { MeterSpec } from './uri';

/** What the agent must answer for power; the data plane implements it over its connection. */
export interface AgentPowerLink {
  /** Sends `powerRead` to the agent and returns its answer as received (validated here). */
  readPower(): Promise<unknown>;
  /** The agent's clock minus the session clock, in ms, measured when the session starts. */
  readonly offsetMs: number;
}

/** Finds the link to a device's agent; throws an AppError when the device has none. */
export type AgentConnector = (device: string) => Promise<AgentPowerLink>;

export class AgentMeter extends PolledMeter {
  readonly info: MeterInfo;
  private link: AgentPowerLink | undefined;
  /** Where the last reading came from, for the report. */
  source: RailsReading['source'] | undefined;

  constructor(
    private readonly spec: Extract<MeterSpec, { kind: 'agent' }>,
    private readonly connect: AgentConnector | undefined,
  ) {
    super();
    this.info = {
      uri: spec.uri,
      kind: 'agent',
      label: `agent@${spec.device}`,
      scope: spec.scope,
      emulated: false,
      // INA3221 conversions take ~10 ms per channel; faster polls re-read the same registers.
      limits: { minMs: 50, maxMs: 60_000, defaultMs: 200 },
    };
  }

  async open(): Promise<void> {
    if (!this.connect) {
      throw new AppError(
        'AGENT_UNAVAILABLE',
        `${this.info.label}: board rails are read through the device's agent; use this meter in a run on a farm that lists "${this.spec.device}"`,
      );
    }
    this.link = await this.connect(this.spec.device);
  }

  private async readRails(): Promise<RailsReading> {
    if (!this.link) throw new Error('AgentMeter.read before open');
    const label = this.info.label;
    let answer: unknown;
    try {
      answer = await this.link.readPower();
    } catch (e) {
      if (e instanceof AppError) throw e;
      // The link parses the agent's JSON; a SyntaxError is the agent's garbage, anything else
      // (a closed connection, the agent's own refusal) is the link's.
      if (e instanceof SyntaxError)
        throw new MeterGarbageError(label, `powerRead answer is not JSON (${e.message})`);
      throw new AppError('METER_UNREACHABLE', `${label}: ${(e as Error).message}`);
    }
    const parsed = RailsReading.safeParse(answer);
    if (!parsed.success)
      throw new MeterGarbageError(label, describeIssues('powerRead', parsed.error.issues));
    this.source = parsed.data.source;
    return parsed.data;
  }

  /** Timed by the agent's own stamp: it knows when it read the rails, the network does not. */
  async read(): Promise<Reading & { t: number }> {
    const r = await this.readRails();
    return { w: r.totalW, t: r.t - (this.link?.offsetMs ?? 0) };
  }

  async close(): Promise<void> {
    this.link = undefined;
  }
}
