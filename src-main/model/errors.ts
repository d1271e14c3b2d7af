// The failures of the model toolkit a user can act on, each with a stable code. Messages name the
// file, node or tensor at fault and say what to do, on one line.
import { AppError } from '../contract/errors';

/** The file is not a readable ONNX model (truncated, not protobuf, cyclic, absurd shapes...). */
export class ModelInvalidError extends AppError {
  constructor(message: string) {
    super('MODEL_INVALID', message);
  }
}

/** The model uses an operator (or an operator form) the toolkit cannot cost or partition. */
export class ModelOpUnsupportedError extends AppError {
  constructor(
    message: string,
    /** The node at fault, where there is one: its operator (domain-qualified), name, position. */
    readonly where?: { readonly op: string; readonly node: string; readonly index: number },
  ) {
    super('MODEL_OP_UNSUPPORTED', message);
  }
}

/** A cut tensor or split that does not make standalone partitions. */
export class PartitionError extends AppError {
  constructor(message: string) {
    super('PARTITION_INVALID', message);
  }
}

/** A model card that contradicts the graph it describes (input dtype, rank, channels, labels). */
export class ModelCardError extends AppError {
  constructor(message: string) {
    super('MODEL_CARD_MISMATCH', message);
  }
}
