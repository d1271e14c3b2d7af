// The coordinator's connections to the boards of a run: one long-lived connection per board,
// opened on first use and opened again after it closed (a board restarted after a failure), and
// at the end of the run each board told to undeploy before its connection is closed.
import { type Peer, PeerClient, type TlsMaterial } from '../../remote-agent/src/protocol/index';

/** How long closeAll() waits for a board to undeploy. */
const UNDEPLOY_MS = 3000;

export class Connections {
  private readonly clients = new Map<string, Promise<PeerClient>>();

  constructor(private readonly tls: TlsMaterial) {}

  /** The board's connection (the Router's Connect): the open one, or a new one. */
  readonly connect = (peer: Peer): Promise<PeerClient> => {
    let c = this.clients.get(peer.id);
    if (!c) {
      const fresh = PeerClient.connect(peer, { tls: this.tls });
      // A closed connection is opened again on next use (a board restarted after a failure).
      fresh.then(
        (pc) =>
          pc.onClose(() => this.clients.get(peer.id) === fresh && this.clients.delete(peer.id)),
        () => this.clients.delete(peer.id),
      );
      this.clients.set(peer.id, fresh);
      c = fresh;
    }
    return c;
  };

  /** Undeploys `runId` from every board still connected and closes every connection. */
  async closeAll(runId: string): Promise<void> {
    const clients = await Promise.allSettled([...this.clients.values()]);
    await Promise.allSettled(
      clients.map(async (c) => {
        if (c.status !== 'fulfilled') return;
        // A board cut off mid-run never answers: its undeploy is not waited for past UNDEPLOY_MS.
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          c.value.undeploy(runId).catch(() => undefined),
          new Promise((r) => (t = setTimeout(r, UNDEPLOY_MS))),
        ]);
        clearTimeout(t);
        c.value.close();
      }),
    );
    this.clients.clear();
  }
}
