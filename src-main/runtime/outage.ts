// An outage of this machine's own link: every board silent at once (the heartbeat's outage
// verdict) is no board's fault, so nothing is re-planned. The run pauses with its frames kept in
// flight (none judged lost) and resumes when any board answers again; past the limit the user
// set (`--outage-limit S`), it ends with what it had recorded, saying why in one line.
import { AppError, type RunFault } from '../contract/index';
import type { Coordinator } from './coordinator';
import type { LinkVerdict } from './heartbeat';

/** How long a run waits for its link by default (`--outage-limit`). */
export const OUTAGE_LIMIT_S = 60;

export interface LinkWatchOptions {
  coordinator: Coordinator;
  /** Seconds the run waits for its link before it ends. */
  limitS: number;
  /** The --chaos outage behind it, if any: when it was injected (performance.now ms). */
  causeAt(): number | null;
  /** The outage as detected, then again once the link answered. */
  onFault(f: RunFault, first: boolean): void;
  /** The link answered again: the frames in flight go again; resolves with how many. */
  onRestored(): Promise<number>;
}

export class LinkWatch {
  private fault: RunFault | null = null;
  private detectedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: LinkWatchOptions) {}

  handle(v: LinkVerdict): void {
    const c = this.o.coordinator;
    const rel = (ms: number) => (c.startedAtMs > 0 ? (ms - c.startedAtMs) / 1000 : 0);
    if (v.kind === 'outage') {
      if (this.fault) return;
      const cause = this.o.causeAt();
      const at = cause ?? v.lastHeardAt;
      c.pause();
      this.detectedAt = v.at;
      this.fault = {
        kind: 'outage',
        device: 'link',
        cause: cause === null ? null : 'outage',
        phase: c.phase,
        at: rel(at),
        detectedAt: rel(v.at),
        detectionMs: Math.max(0, v.at - at),
        slowdown: null,
        replanMs: null,
        redeployMs: null,
        resent: 0,
        plan: null,
        why: `every board silent at once: this machine's link, not the boards; the run paused with ${c.inFlight} frames in flight kept, for at most ${this.o.limitS} s`,
        recoveryS: null,
      };
      this.o.onFault(this.fault, true);
      this.timer = setTimeout(() => {
        c.abort(
          new AppError(
            'LINK_DOWN',
            `no board answered for ${this.o.limitS} s (--outage-limit): this machine's link looks down; the run ended with the ${c.completed} results it had recorded`,
          ),
        );
      }, this.o.limitS * 1000);
      return;
    }
    const f = this.fault;
    if (!f) return;
    this.fault = null;
    this.clear();
    f.recoveryS = (v.at - this.detectedAt) / 1000;
    const t0 = performance.now();
    // Frames whose hand-over or result failed while the link was down go again (under a new
    // epoch, so none is counted twice); the feed resumes once they are on their way.
    void this.o.onRestored().then(
      (resent) => {
        f.resent = resent;
        f.redeployMs = performance.now() - t0;
        f.why = `${f.why}; the link answered again after ${(f.recoveryS ?? 0).toFixed(1)} s, the ${resent} frames in flight went again and the run went on`;
        c.resume();
        this.o.onFault(f, false);
      },
      () => c.resume(),
    );
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  stop(): void {
    this.clear();
  }
}
