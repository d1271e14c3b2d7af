// Dispatching frames: each frame handed to the running plan's first stage through its Router
// (credits keep every queue bounded). A one-stage plan's results ride on the answers, so they go
// to the Collector from here. A hand-over that fails either loses the frame or, in a run that
// survives board failures, leaves it for the next plan to send again.
import {
  type Ack,
  type Connect,
  type Deployment,
  type Link,
  Router,
} from '../../remote-agent/src/protocol/index';
import type { Collector } from './collect';
import type { FrameSource } from './source';

/**
 * With `survive`, how long a frame whose hand-over failed waits for a new plan (the heartbeat
 * declares a board lost within 2 s) before it is counted lost.
 */
const HANDOVER_GRACE_MS = 3000;

export class Dispatcher {
  private router: Router | null = null;
  private runId = '';
  /** Plans installed so far: a failed hand-over under an earlier one needs no judging. */
  private epoch = 0;
  /** Redeployments under way: boards refuse frames of the plan they are leaving meanwhile. */
  redeploying = 0;

  constructor(
    private readonly source: FrameSource,
    private readonly collector: Collector,
    private readonly connect: Connect,
    private readonly link: Link | null,
    private readonly survive: boolean,
  ) {}

  /** Frames from now on go to this deployment. */
  use(d: Deployment): void {
    this.router = new Router(d, this.connect, this.link);
    this.runId = d.runId;
    this.epoch++;
  }

  /** Hands one frame to the running plan's first stage. */
  async send(id: number): Promise<void> {
    const epoch = this.epoch;
    const router = this.router as Router;
    const input = await this.source.frame(id);
    const runId = this.runId;
    let acked: Promise<Ack[]>;
    try {
      acked = (await router.send(id, -1, 0, [], [input])).acked;
    } catch (err) {
      acked = Promise.reject(err as Error);
    }
    // A one-stage plan answers with the results: each part's answer is what it would have sent
    // the sink, so it goes the same way (the sink's joiner, order, duplicates, stale plans).
    if (router.answersResults)
      acked = acked.then((acks) => {
        acks.forEach((a, part) =>
          this.collector.receive({
            runId,
            frameId: id,
            stage: 1,
            part: 0,
            fromPart: part,
            consumers: [],
            tensors: a.tensors ?? [],
          }),
        );
        return acks;
      });
    acked.catch((err: Error) => {
      if (!this.survive) return this.collector.markLost(id, err.message);
      // The plan changed meanwhile: the frame was sent again under the new one.
      if (epoch !== this.epoch) return;
      // A board failed: the new plan (heartbeat verdict within 2 s) sends the frame again; a
      // redeployment under way sends it again when done, however long the boards take to load.
      const judge = () => {
        if (epoch !== this.epoch) return;
        if (this.redeploying > 0) setTimeout(judge, HANDOVER_GRACE_MS).unref();
        else this.collector.markLost(id, err.message);
      };
      setTimeout(judge, HANDOVER_GRACE_MS).unref();
    });
  }
}
