// The handlers behind Settings' model mirrors (see store/mirrors.ts).
import { addMirror, loadMirrors, removeMirror } from '../store/mirrors';
import type { Handlers } from './dispatch';

export function mirrorHandlers(
  dataDir: string,
): Pick<Handlers, 'mirrors/list' | 'mirrors/add' | 'mirrors/remove'> {
  return {
    'mirrors/list': async () => ({ mirrors: await loadMirrors(dataDir) }),
    'mirrors/add': async ({ url }) => ({ mirrors: await addMirror(dataDir, url) }),
    'mirrors/remove': async ({ url }) => ({ mirrors: await removeMirror(dataDir, url) }),
  };
}
