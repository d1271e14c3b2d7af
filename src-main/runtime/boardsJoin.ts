// The lab's boards that join a run on the inventory's boards (`--devices all`, or every board
// chosen in the Run view): a board added to the inventory, or provisioned, while the run goes. The
// inventory says a board exists and its board type; provisioning's record of the board (boards.json,
// written once its agent is installed and its service started) says an agent should answer. Both
// files are watched; such a board is named once, and runtime/join.ts probes its agent.
import type { Stats } from 'node:fs';
import { loadBoardStates } from '../inventory/boardStates';
import type { BoardRecord } from '../inventory/boardRecord';
import { Inventory } from '../inventory/inventory';
import type { Logger } from '../log';
import { boardsPlannerFarm } from './boardFarm';
import { changedAt, pollFiles, type Membership } from './join';

export function inventoryMembership(o: {
  inventory: string;
  /** Provisioning's record of each board (inventory/boardStates.ts). */
  states: string;
  /** The run's boards at its start. */
  known: Iterable<string>;
  /** Makes a board that answered one of the run's (its parts are then pushed to it). */
  admit(board: BoardRecord): void;
  log: Logger;
}): Membership {
  const seen = new Set(o.known);
  return {
    watch(onNew) {
      let stopped = false;
      let reading = Promise.resolve();
      const look = async (st: Stats) => {
        let boards: readonly BoardRecord[];
        try {
          boards = (await Inventory.load(o.inventory)).list();
        } catch (err) {
          o.log.warn({ err: (err as Error).message }, 'inventory unreadable; joins wait');
          return;
        }
        const states = await loadBoardStates(o.states);
        for (const b of boards) {
          if (seen.has(b.name) || stopped) continue;
          const state = states.get(b.name);
          // Not yet provisioned, or not planned for: looked at again at the next change.
          if (!state?.agentVersion || !state.service || !b.profile || b.jump) continue;
          seen.add(b.name);
          onNew({
            agent: { id: b.name, host: b.host, port: b.agentPort, profile: null },
            board: boardsPlannerFarm([b]).devices[0]!,
            since: changedAt(st),
            admit: () => o.admit(b),
          });
        }
      };
      const stop = pollFiles([o.inventory, o.states], (st) => {
        reading = reading.then(() => look(st));
      });
      return () => {
        stopped = true;
        stop();
      };
    },
  };
}
