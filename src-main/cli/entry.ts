// Entry of the bundled CLI (bin/mchair.js loads it). The coordinator streams frames through this
// process just as an agent does, so it gets the agent's garbage-collector setting first.
import '../../remote-agent/src/heap';
export { main } from './main';
// The run heartbeat's own thread loads this bundle and starts there (see runtime/heartbeat.ts).
export { heartbeatThread } from '../runtime/heartbeat';
