// ssh2, loaded at the first SSH connection rather than with the program: it is ~30 ms of the
// CLI's start-up, which commands that open no connection (plan, model inspect) should not pay.
// Imported from ESM, the CommonJS module is also its `default` (where `utils` is: Node's loader
// does not see it as a named export).
type Ssh2 = typeof import('ssh2') & { default: typeof import('ssh2') };
let library: Promise<Ssh2> | null = null;

export function loadSsh2(): Promise<Ssh2> {
  library ??= import('ssh2');
  return library;
}
