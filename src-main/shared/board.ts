// A board of a farm as every room that deploys to, provisions or emulates boards sees it: where
// its agent listens, and its device profile when emulated.
import type { Peer } from '../../remote-agent/src/protocol/index';

export interface Board extends Peer {
  /** Board profile when emulated (virtual farm); null for a real board. */
  profile: string | null;
}
