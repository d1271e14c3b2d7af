// What every fuzz property promises the user, checked the same way everywhere: the code under
// test either succeeds or throws an AppError whose message is one line, quickly. Anything else
// (a TypeError, a RangeError, a protobuf exception, a multi-line message, a case that takes
// seconds) is a defect the property reports with its shrunk counterexample.
import { AppError } from '../../src-main/contract/errors';

/** Cases per property: issue 9.4 asks for at least 10,000 in CI. */
export const FUZZ_RUNS = 10_000;

/** A single case slower than this is a hang in the making (absurd sizes looped over). */
export const CASE_LIMIT_MS = 500;

/**
 * Runs `fn`; returns the refusal it threw (an AppError, or the agent's own error class for code
 * that runs on the board, which has no AppError), or null when it succeeded. Throws anything else.
 */
export function refusedOrOk<E extends Error = AppError>(
  fn: () => void,
  refusal: abstract new (...args: never[]) => E = AppError as never,
): E | null {
  const t0 = performance.now();
  let refused: E | null = null;
  try {
    fn();
  } catch (err) {
    if (!(err instanceof refusal)) {
      throw new Error(
        `not ${refusal.name}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
    }
    // One line, and no control character that could drive the user's terminal.
    if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(err.message) || err.message.length === 0) {
      throw new Error(`not a one-line message: ${JSON.stringify(err.message.slice(0, 300))}`);
    }
    refused = err;
  }
  const ms = performance.now() - t0;
  if (ms > CASE_LIMIT_MS) throw new Error(`one case took ${ms.toFixed(0)} ms`);
  return refused;
}
