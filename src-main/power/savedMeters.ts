// The lab's saved power meters: meters.json in the data folder, which Settings edits and runs
// started from the app read. Every edit reads, changes and rewrites the whole file under a lock
// (the app and a second window or CLI may edit at once) by temp + rename, so a crash leaves the
// previous list, never half of one. Each URI is parsed before it is saved, so a run never finds a
// meter it cannot open for a reason a save could have told.
import { AppError, InputError } from '../contract/errors';
import { MAX_SAVED_METERS, SavedMeter } from '../contract/meters';
import { PowerFlags } from './options';
import { parseMeterUri } from './uri';
import { savedList } from '../store/savedList';

const saved = savedList('meters', SavedMeter, MAX_SAVED_METERS, 'METERS_UNREADABLE');

export const metersFile = saved.file;
export const loadMeters = saved.load;
const editMeters = saved.edit;

/**
 * Adds `meter`, or replaces the one named `replaces` with it (an edit, which may rename it).
 * Names are unique, case aside, since people pick a meter by its name.
 */
export function saveMeter(
  dataDir: string,
  meter: SavedMeter,
  replaces?: string,
): Promise<SavedMeter[]> {
  parseMeterUri(meter.uri); // InputError naming what is wrong with the URI
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  return editMeters(dataDir, (meters) => {
    const at = replaces === undefined ? -1 : meters.findIndex((m) => m.name === replaces);
    if (replaces !== undefined && at < 0)
      throw new AppError('METER_NOT_FOUND', `no saved meter is called "${replaces}"`);
    if (meters.some((m, i) => i !== at && same(m.name, meter.name)))
      throw new InputError(`a meter called "${meter.name}" is saved already; pick another name`);
    if (at < 0 && meters.length >= MAX_SAVED_METERS)
      throw new InputError(`at most ${MAX_SAVED_METERS} meters can be saved; remove one first`);
    return at < 0 ? [...meters, meter] : meters.map((m, i) => (i === at ? meter : m));
  });
}

/**
 * A run's power flags with every saved meter added (the app's runs, `mchair run --saved-meters`).
 * With no meter either way the run keeps its own default: emulated meters on an emulated farm.
 */
export async function withSavedMeters(
  dataDir: string,
  flags: PowerFlags = PowerFlags.parse({}),
): Promise<PowerFlags> {
  const saved = (await loadMeters(dataDir)).map((m) => m.uri);
  return { ...flags, meter: [...new Set([...flags.meter, ...saved])] };
}

export function removeMeter(dataDir: string, name: string): Promise<SavedMeter[]> {
  return editMeters(dataDir, (meters) => {
    if (!meters.some((m) => m.name === name))
      throw new AppError('METER_NOT_FOUND', `no saved meter is called "${name}"`);
    return meters.filter((m) => m.name !== name);
  });
}
