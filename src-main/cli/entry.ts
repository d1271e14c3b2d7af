// Entry of the bundled CLI (bin/mchair.js loads it). The coordinator streams frames through this
// process just as an agent does, so it gets the agent's garbage-collector setting first.
import v8 from 'node:v8';
import '../../remote-agent/src/protocol/heap';
import { setThreadEntry } from '../shared/threadEntry';
import { areaOf } from './commands/index';

// The objects of frames in flight outlive a scavenge or two and are promoted (~0.7 KB a frame),
// and V8 lets the old generation double before it collects it: a 20,000-frame no-op run's RSS
// rose 14% after warm-up, to fall back only at the next mark-compact. Collecting once it has grown
// 10% keeps it flat (+7%) for a few ms a second. Not in agents: their old generation is so small
// that 10% of it is less than the young generation, and V8 would then mark on every scavenge.
v8.setFlagsFromString('--heap-growing-percent=10');
// `mchair plan` is a burst of hot search code in a fresh process: V8's default inlining (callees
// of up to 460 bytecode bytes) compiled the cost model's helpers into each of the search's hot
// functions, again after each deopt, and the compiler threads spent about as much CPU as the
// search itself (docs/PLANNING.md, "A plan's CPU"). Only there: the data plane's steady state
// needs the deep inlining (the transport bench fell from 76% to 69% of bare TLS without it). Set
// before any code is optimized: changing it while a compile is under way trips V8's own checks.
if (areaOf(process.argv.slice(2)) === 'plan')
  v8.setFlagsFromString('--max-inlined-bytecode-size=60');
setThreadEntry(import.meta.url);
export { main } from './main';

/** The run heartbeat's own thread loads this bundle and starts here (see runtime/heartbeat.ts). */
export async function heartbeatThread(): Promise<void> {
  (await import('../runtime/heartbeat')).heartbeatThread();
}
