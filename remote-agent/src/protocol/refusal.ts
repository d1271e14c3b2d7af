// A part a board's inference backend cannot load (an operator or type its onnxruntime build has
// no kernel for): the agent says so in one line naming the part, the backend and the operator,
// and the coordinator turns that line back into fields to refuse the deploy before any frame
// is sent. onnxruntime words this three ways; anything else is passed on as it said it.

export interface BackendRefusal {
  readonly part: string;
  readonly backend: string;
  /** The operator onnxruntime named (domain-qualified outside the default domain), if any. */
  readonly op: string | null;
  /** The node it named, if any. */
  readonly node: string | null;
  readonly reason: string;
}

const ORT_WORDINGS: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => [string, string | null]]> = [
  // "Could not find an implementation for QLinearConv(10) node with name 'conv1_quant'"
  [
    /Could not find an implementation for ([\w.]+)\(\d+\) node with name '([^']*)'/,
    (m) => [m[1]!, m[2]!],
  ],
  // "com.microsoft:QLinearFoo(-1) is not a registered function/op"
  [/([\w.]+):(\w+)\(-?\d+\) is not a registered function\/op/, (m) => [`${m[1]}.${m[2]}`, null]],
  // "No Op registered for Foo with domain_version of 17"
  [/No Op registered for (\w+) with domain_version/, (m) => [m[1]!, null]],
];

/** Reads onnxruntime's session-creation error for the operator it could not run. */
export function refusalOf(part: string, backend: string, err: unknown): BackendRefusal {
  const reason = (err instanceof Error ? err.message : String(err))
    .replace(/^Can't create a session\. ERROR_CODE: \d+, ERROR_MESSAGE: /, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (const [re, pick] of ORT_WORDINGS) {
    const m = reason.match(re);
    if (m) {
      const [op, node] = pick(m);
      return { part, backend, op, node, reason };
    }
  }
  return { part, backend, op: null, node: null, reason };
}

const PREFIX = 'BACKEND_CANNOT_RUN ';

/** The refusal as the agent's error message (JSON after a fixed prefix: one line). */
export function refusalMessage(r: BackendRefusal): string {
  return `${PREFIX}${JSON.stringify(r)}`;
}

/** The refusal inside an error message from an agent, or null when it is another failure. */
export function parseRefusal(message: string): BackendRefusal | null {
  const at = message.indexOf(PREFIX);
  if (at < 0) return null;
  try {
    const r = JSON.parse(message.slice(at + PREFIX.length)) as BackendRefusal;
    return typeof r.part === 'string' && typeof r.backend === 'string' ? r : null;
  } catch {
    return null;
  }
}
