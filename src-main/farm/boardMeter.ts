// A board's own meter outside runs: a saved meter that covers exactly one board (a smart plug
// saved with `device=NAME`) is read once for the Farm view's Power column, beside the watts the
// board's rails report through its agent.
import { AppError } from '../contract/index';
import type { BoardMeterReading } from '../contract/farm';
import { within } from '../shared/within';
import { readMeter } from '../power/read';
import { parseMeterUri } from '../power/uri';

/** How long the farm table waits for a plug: a plug on busy Wi-Fi shows a dash, not a stuck table. */
const PLUG_MS = 3000;

/** The saved meters that cover one board each, by board name (the first saved wins). */
export function boardMeters(
  saved: readonly { name: string; uri: string }[],
): Map<string, { name: string; uri: string }> {
  const byBoard = new Map<string, { name: string; uri: string }>();
  for (const m of saved) {
    let scope;
    try {
      scope = parseMeterUri(m.uri).scope;
    } catch {
      continue; // Settings refuses such a URI; a hand-edited meters.json is not the table's worry.
    }
    const board = scope.kind === 'devices' && scope.devices.length === 1 ? scope.devices[0] : null;
    if (board && !byBoard.has(board)) byBoard.set(board, m);
  }
  return byBoard;
}

/** One reading of a board's meter. */
export async function readBoardMeter(m: { name: string; uri: string }): Promise<BoardMeterReading> {
  const signal = AbortSignal.timeout(PLUG_MS);
  try {
    const r = await within(
      readMeter(m.uri, { seconds: 0, signal }),
      PLUG_MS + 500,
      `no reading in ${PLUG_MS / 1000} s`,
    );
    return r.samples > 0
      ? { meter: m.name, w: r.avgW, error: null }
      : { meter: m.name, w: null, error: `no reading in ${PLUG_MS / 1000} s` };
  } catch (err) {
    const why = err instanceof AppError ? err.message : (err as Error).message;
    return { meter: m.name, w: null, error: why.split('\n')[0] ?? 'unreadable' };
  }
}
