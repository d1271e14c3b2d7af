// A run the core started and can stop (run/stop), whichever program drives it: the demo's
// skeleton or a run of a model on a farm.
import type { RunSummary } from '../contract/index';

export interface LiveRun {
  id: string;
  stop(): Promise<void>;
  done: Promise<RunSummary>;
}
