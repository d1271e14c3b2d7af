// The failures of the model toolkit a user can act on, each with a stable code. Messages name the
// file, node or tensor at fault and say what to do, on one line.
import { AppError } from '../contract/errors';

/**
 * Names in messages come from the file: escapes their control characters so a hostile name can
 * neither break the message's one line nor drive the user's terminal.
 */
function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The file is not a readable ONNX model (truncated, not protobuf, cyclic, absurd shapes...). */
export class ModelInvalidError extends AppError {
  constructor(message: string) {
    super('MODEL_INVALID', oneLine(message));
  }
}

/** The model uses an operator (or an operator form) the toolkit cannot cost or partition. */
export class ModelOpUnsupportedError extends AppError {
  constructor(message: string) {
    super('MODEL_OP_UNSUPPORTED', oneLine(message));
  }
}

/** A cut tensor or split that does not make standalone partitions. */
export class PartitionError extends AppError {
  constructor(message: string) {
    super('PARTITION_INVALID', oneLine(message));
  }
}
