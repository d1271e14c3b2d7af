// A board's readings for the farm table (CPU %, memory, temperature, power) from its agent's
// `readings` message, which leaves the per-part counters a running coordinator collects alone.
import type { BoardReadings } from '../contract/farm';
import { PeerClient, type TlsMaterial } from '../../remote-agent/src/protocol/index';
import { within } from '../shared/within';

/** How long the farm table waits for one board: a slow board shows blanks, not a stuck table. */
const READINGS_MS = 3000;

/** Readings of a connected agent; null from an agent that predates the readings message. */
export async function readingsOf(client: PeerClient): Promise<BoardReadings | null> {
  try {
    const r = await within(client.readings(), READINGS_MS, 'no readings');
    return {
      cpuPercent: r.cpuPercent,
      memoryBytes: r.rssBytes,
      availableBytes: r.availableBytes,
      temperatureC: r.temperatureC,
      // Power only where the board has rails; an emulated board's power is a run's figure.
      powerW: r.rails.length > 0 ? r.rails.reduce((a, x) => a + x.w, 0) : null,
      rails: r.rails.map(({ name, w }) => ({ name, w })),
      emulated: r.emulated,
    };
  } catch {
    return null;
  }
}

/** Connects to one agent and reads it; the error says why a board shows no readings. */
export async function readAgent(
  peer: { id: string; host: string; port: number },
  tls: TlsMaterial,
): Promise<{ readings: BoardReadings | null; error: string | null }> {
  let client: PeerClient | null = null;
  try {
    client = await within(
      PeerClient.connect(peer, { tls, timeoutMs: READINGS_MS }),
      READINGS_MS,
      `its agent did not answer at ${peer.host}:${peer.port}`,
    );
    const readings = await readingsOf(client);
    return { readings, error: readings ? null : 'its agent is too old to report readings' };
  } catch (err) {
    return { readings: null, error: (err as Error).message.split('\n')[0] ?? 'unreachable' };
  } finally {
    client?.close();
  }
}
