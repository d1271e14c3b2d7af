// Getting a trained model by name, for the app and `mchair model get` alike: the catalogue entry,
// its sources (this download's mirrors, the saved ones, then the zoo's hosts), the download, and
// the library's addFile, which wraps the checked file under the entry's card. One download per
// model at a time in this process (the .part's lock keeps other processes out).
import { AppError } from '../contract/errors';
import type { CatalogueRow, DownloadProgress } from '../contract/download';
import type { ModelCard } from '../contract/modelCard';
import { CATALOGUE, fetchable, ZOO_HOSTS, type CatalogueEntry } from '../model/catalogue';
import { downloadModel } from '../model/download/download';
import type { ProxyEnv } from '../model/download/proxy';
import { manualUrlOf, sourcesOf } from '../model/download/sources';
import { loadMirrors } from '../store/mirrors';
import type { Handlers } from './dispatch';
import type { EventBus } from '../shared/events';
import { ModelLibrary } from '../model/library';

export interface GetModelOptions {
  dataDir: string;
  name: string;
  /** Tried first, before the saved mirrors (`--mirror`). */
  mirrors?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** The tests' catalogue and hosts; the real ones otherwise. */
  catalogue?: readonly CatalogueEntry[];
  hosts?: readonly string[];
  env?: ProxyEnv;
  ca?: string;
}

export interface GotModel {
  name: string;
  source: string | null;
  fetched: number;
  bytes: number;
}

function entryOf(catalogue: readonly CatalogueEntry[], name: string): CatalogueEntry {
  const entry = catalogue.find((e) => e.id === name);
  if (!entry)
    throw new AppError(
      'MODEL_UNKNOWN',
      `no trained model "${name}" in the catalogue; choose from ${catalogue.map((e) => e.id).join(', ')}`,
    );
  return entry;
}

/** Whether the library holds `entry` itself (its name, with a card from these very bytes). */
async function inLibrary(library: ModelLibrary, entry: CatalogueEntry): Promise<boolean> {
  const card: ModelCard | null = await library.card(entry.id).catch(() => null);
  return card?.source?.sha256 === entry.sha256;
}

export async function getCatalogueModel(o: GetModelOptions): Promise<GotModel> {
  const catalogue = o.catalogue ?? CATALOGUE;
  const entry = entryOf(catalogue, o.name);
  const library = new ModelLibrary(o.dataDir);
  if (await inLibrary(library, entry))
    return { name: entry.id, source: null, fetched: 0, bytes: entry.bytes };
  const hosts = fetchable(entry) ? (o.hosts ?? ZOO_HOSTS) : [];
  const mirrors = [...(o.mirrors ?? []), ...(await loadMirrors(o.dataDir))];
  const file = entry.path.split('/').pop()!;
  if (hosts.length === 0 && mirrors.length === 0)
    throw new AppError(
      'MODEL_NOT_PUBLIC',
      `${entry.id} is not on the zoo's hosts (${entry.card.source?.url ?? entry.path}); add a mirror that holds ${file}, or fetch it by hand and run: mchair model import ${file}`,
    );
  const got = await downloadModel(entry, {
    dataDir: o.dataDir,
    sources: sourcesOf(entry, mirrors, hosts),
    manualUrl: hosts.length ? manualUrlOf(entry, hosts) : (entry.card.source?.url ?? entry.path),
    signal: o.signal,
    onProgress: o.onProgress,
    env: o.env,
    ca: o.ca,
  });
  // The engine has checked the file's size and sha256 against the entry: no second pass over it.
  await library.addFile(got.file, {
    name: entry.id,
    card: entry.card,
    move: true,
    identified: { sha256: entry.sha256, bytes: entry.bytes, entry },
  });
  return { name: entry.id, source: got.source.label, fetched: got.fetched, bytes: entry.bytes };
}

export async function catalogueRows(
  dataDir: string,
  catalogue: readonly CatalogueEntry[] = CATALOGUE,
): Promise<CatalogueRow[]> {
  const library = new ModelLibrary(dataDir);
  return Promise.all(
    catalogue.map(async (e) => ({
      id: e.id,
      bytes: e.bytes,
      sha256: e.sha256,
      public: fetchable(e),
      inLibrary: await inLibrary(library, e),
      card: e.card,
    })),
  );
}

type DownloadCommands = 'models/catalogue' | 'models/get' | 'models/cancel-get';

export function downloadHandlers(
  dataDir: string,
  events: EventBus,
): Pick<Handlers, DownloadCommands> {
  const running = new Map<string, AbortController>();
  return {
    'models/catalogue': async () => ({ entries: await catalogueRows(dataDir) }),
    'models/get': async ({ name, mirrors }) => {
      if (running.has(name))
        throw new AppError('DOWNLOAD_BUSY', `${name} is being downloaded already`);
      const ac = new AbortController();
      running.set(name, ac);
      try {
        return await getCatalogueModel({
          dataDir,
          name,
          mirrors,
          signal: ac.signal,
          onProgress: (p) => events.emit('models/get-progress', p),
        });
      } finally {
        running.delete(name);
      }
    },
    'models/cancel-get': async ({ name }) => {
      const ac = running.get(name);
      ac?.abort();
      return { cancelled: ac !== undefined };
    },
  };
}
