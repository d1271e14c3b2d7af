// Where a catalogue entry is fetched from, in order: the lab's mirrors (Settings' list and
// `--mirror`), then the zoo's public hosts. A mirror is a base URL holding a copy of the zoo's
// tree (<base>/<entry.path>, what `wget -x` or an rsync of the tree gives); a plain folder of
// model files (<base>/<file>) is tried right after, since that is what a lab sets up by hand.
import { ZOO_HOSTS } from '../catalogue';
import type { DownloadTarget } from './download';

export interface DownloadSource {
  url: string;
  /** Said in progress and errors: `mirror <base>`, or the public host's name. */
  label: string;
}

const join = (base: string, path: string): string => `${base.replace(/\/+$/, '')}/${path}`;

export function sourcesOf(
  target: DownloadTarget,
  mirrors: readonly string[],
  hosts: readonly string[] = ZOO_HOSTS,
): DownloadSource[] {
  const file = target.path.split('/').pop()!;
  const fromMirrors = [...new Set(mirrors)].flatMap((base) => [
    { url: join(base, target.path), label: `mirror ${base}` },
    { url: join(base, file), label: `mirror ${base} (flat)` },
  ]);
  const fromHosts = hosts.map((base) => ({
    url: join(base, target.path),
    label: new URL(base).host,
  }));
  return [...fromMirrors, ...fromHosts];
}

/** The address a person fetches by hand when no source answered: the first public host's. */
export function manualUrlOf(target: DownloadTarget, hosts: readonly string[] = ZOO_HOSTS): string {
  return join(hosts[0] ?? ZOO_HOSTS[0], target.path);
}
