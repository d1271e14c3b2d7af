// Entry of the bundled CLI (bin/mchair.js loads it).
export { main } from './main';
