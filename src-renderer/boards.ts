// The board types the planner has calibrated profiles for (resources/profiles), in the order
// the UI offers them; how a board's remembered state reads in the Farm table.
import type { BoardState } from '../src-main/contract/index';
export const BOARD_PROFILES = ['pi3', 'pi4', 'pi5', 'tx2-cpu', 'tx2-gpu', 'x86-laptop'] as const;
export type BoardProfile = (typeof BOARD_PROFILES)[number];

/** Whether a board's login takes a password (typed into the page, kept by the secret store). */
export function usesPassword(auth: string): boolean {
  return auth === 'password' || auth === 'keyboard-interactive';
}

/** A board's remembered state in one line of the Farm table. */
export function describeBoardState(s: BoardState | null): string {
  if (s === null) return 'not read from the board yet';
  const seen = `seen ${new Date(s.lastSeen).toLocaleString()}`;
  if (s.power) return `${s.power} (${seen})`;
  if (!s.service) return `no agent installed (${seen})`;
  const mib = s.parts.reduce((n, p) => n + p.bytes, 0) / 2 ** 20;
  const parts =
    s.parts.length === 0
      ? 'no parts'
      : `${s.parts.length} ${s.parts.length === 1 ? 'part' : 'parts'} (${mib.toFixed(1)} MiB)`;
  return `agent ${s.agentVersion ?? '(version unknown)'}, ${s.service.state} (${s.service.mode}), ${parts}, ${seen}`;
}
