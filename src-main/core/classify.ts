// What a trained model sees in pictures (`mchair classify`): in this process, or through a farm
// by a plan as a run runs, the lines it says on the way sent as run/say events.
import { recognise, trainedModel } from '../runtime/recognise';
import type { Logger } from '../log';
import type { EventBus } from '../shared/events';
import type { Handlers } from './dispatch';
import { openRunFarm, type FarmReach } from './runs';

export function classifyHandlers(
  o: FarmReach & { log: Logger; events: EventBus },
): Pick<Handlers, 'models/classify'> {
  return {
    'models/classify': async ({ model, files, top, farm, plan }) => {
      const trained = await trainedModel(o.dataDir, model);
      return recognise({
        trained,
        files,
        top,
        plan,
        ...(farm ? { farm: (await openRunFarm(o, farm)).where } : {}),
        dataDir: o.dataDir,
        log: o.log,
        say: (line) => o.events.emit('run/say', { runId: null, line }),
      });
    },
  };
}
