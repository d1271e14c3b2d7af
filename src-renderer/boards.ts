// The board types the planner has calibrated profiles for (resources/profiles), in the order
// the UI offers them.
export const BOARD_PROFILES = ['pi3', 'pi4', 'pi5', 'tx2-cpu', 'tx2-gpu', 'x86-laptop'] as const;
export type BoardProfile = (typeof BOARD_PROFILES)[number];

/** Whether a board's login takes a password (typed into the page, kept by the secret store). */
export function usesPassword(auth: string): boolean {
  return auth === 'password' || auth === 'keyboard-interactive';
}
