// A Jetson's power rails read from the laptop: `tegrastats` lines (over SSH) parsed into the same
// RailsReading an agent answers `powerRead` with. The boards' own readers (INA3221 sysfs, Pi 5
// PMIC) run in the agent; the reading's shape is the agent's protocol's.
import { railsReading, type Rail, type RailsReading } from '../../remote-agent/src/protocol/index';
// Garbage from a board's rails is the user's to fix (wiring, board type), not an internal error.
import { MeterGarbageError } from './sample';

/**
 * One `tegrastats` line: rails print as `NAME current/average` in mW, with or without the unit
 * (`VDD_IN 3056/3056`, `VDD_IN 2841mW/2841mW`). RAM, SWAP and clocks are passed over.
 */
export function railsFromTegrastats(t: number, line: string): RailsReading {
  const rails: Rail[] = [];
  for (const m of line.matchAll(/\b((?:VDD|POM|VIN)_[A-Z0-9_]+) (\d+)(?:mW)?\/(\d+)(?:mW)?/g)) {
    rails.push({ name: m[1] as string, w: Number(m[2]) / 1000 });
  }
  if (rails.length === 0)
    throw new MeterGarbageError(
      'tegrastats',
      `the line has no power rails: ${JSON.stringify(line.slice(0, 80))}`,
    );
  return railsReading('tegrastats', t, rails);
}
