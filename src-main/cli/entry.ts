// Entry of the bundled CLI (bin/mchair.js loads it).
export { main } from './main';
// The run heartbeat's own thread loads this bundle and starts there (see runtime/heartbeat.ts).
export { heartbeatThread } from '../runtime/heartbeat';
