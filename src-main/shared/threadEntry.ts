// The module a worker thread loads to run this program's thread bodies (the run heartbeat's):
// the CLI bundle's entry names itself here. Its code is split into chunks loaded on demand, so the
// heartbeat's own module may sit in a chunk that exports nothing by a name a worker could call.
// Null where nothing named one (tests from source, the app): work then stays on the main thread.
let entry: string | null = null;

export function setThreadEntry(url: string): void {
  entry = url;
}

export function threadEntry(): string | null {
  return entry;
}
