// Entry of the bundled CLI (bin/mchair.js loads it). The coordinator streams frames through this
// process just as an agent does, so it gets the agent's garbage-collector setting first.
import v8 from 'node:v8';
import '../../remote-agent/src/protocol/heap';
import { setThreadEntry } from '../shared/threadEntry';

// The objects of frames in flight outlive a scavenge or two and are promoted (~0.7 KB a frame),
// and V8 lets the old generation double before it collects it: a 20,000-frame no-op run's RSS
// rose 14% after warm-up, to fall back only at the next mark-compact. Collecting once it has grown
// 10% keeps it flat (+7%) for a few ms a second. Not in agents: their old generation is so small
// that 10% of it is less than the young generation, and V8 would then mark on every scavenge.
v8.setFlagsFromString('--heap-growing-percent=10');
setThreadEntry(import.meta.url);
export { main } from './main';

/** The run heartbeat's own thread loads this bundle and starts here (see runtime/heartbeat.ts). */
export async function heartbeatThread(): Promise<void> {
  (await import('../runtime/heartbeat')).heartbeatThread();
}
