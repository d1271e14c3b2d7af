// Shelly smart plugs over their local HTTP API: Gen2 and later answer
// `GET /rpc/Switch.GetStatus?id=0` (apower W, voltage, current); Gen1 answers `GET /status`
// (meters[0].power). `shelly://` asks `GET /shelly` once to learn which one it is talking to.
import { z } from 'zod';
import type { MeterInfo } from './meter';
import { PolledMeter } from './meter';
import { getJson } from './http';
import { MeterGarbageError, reading, type Reading } from './sample';
import type { MeterSpec } from './uri';

const Gen2Status = z.object({
  apower: z.unknown(),
  voltage: z.unknown().optional(),
  current: z.unknown().optional(),
});
const Gen1Status = z.object({ meters: z.array(z.object({ power: z.unknown() })).min(1) });
const Identity = z.object({ gen: z.number().optional() });

export class ShellyMeter extends PolledMeter {
  readonly info: MeterInfo;
  private gen: 1 | 2 | undefined;
  private readonly base: string;

  constructor(private readonly spec: Extract<MeterSpec, { kind: 'shelly' }>) {
    super();
    const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
    this.base = `http://${host}:${spec.port}`;
    this.info = {
      uri: spec.uri,
      kind: 'shelly',
      label: `shelly@${spec.host}:${spec.port}`,
      scope: spec.scope,
      emulated: false,
      // The plug recomputes apower about once a second; polling faster repeats values.
      limits: { minMs: 1000, maxMs: 60_000, defaultMs: 1000 },
    };
  }

  async open(): Promise<void> {
    if (this.spec.gen !== 'auto') {
      this.gen = this.spec.gen;
      return;
    }
    const id = Identity.safeParse(await getJson(this.info.label, `${this.base}/shelly`));
    if (!id.success)
      throw new MeterGarbageError(this.info.label, '/shelly did not describe a Shelly device');
    this.gen = (id.data.gen ?? 1) >= 2 ? 2 : 1;
  }

  async read(): Promise<Reading> {
    const label = this.info.label;
    if (this.gen === 2) {
      const s = Gen2Status.safeParse(
        await getJson(label, `${this.base}/rpc/Switch.GetStatus?id=0`),
      );
      if (!s.success)
        throw new MeterGarbageError(
          label,
          'Switch.GetStatus has no "apower" (not a plug with a meter?)',
        );
      return reading(label, { w: s.data.apower, v: s.data.voltage, a: s.data.current });
    }
    const s = Gen1Status.safeParse(await getJson(label, `${this.base}/status`));
    if (!s.success)
      throw new MeterGarbageError(
        label,
        '/status has no "meters[0].power" (not a plug with a meter?)',
      );
    return reading(label, { w: s.data.meters[0]?.power });
  }

  /** Which API generation the plug speaks, once open. */
  get generation(): 1 | 2 | undefined {
    return this.gen;
  }

  async close(): Promise<void> {
    // HTTP requests hold no connection between polls.
  }
}
