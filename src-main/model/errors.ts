// The failures of the model toolkit a user can act on, each with a stable code. Messages name the
// file, node or tensor at fault and say what to do, on one line.
import { AppError, oneLine } from '../contract/errors';

// Names in messages come from the file: oneLine() escapes their control characters so a hostile
// name can neither break the message's one line nor drive the user's terminal.

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
