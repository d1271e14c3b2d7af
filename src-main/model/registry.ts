// Which shape and cost rule reads each node: the ONNX operators by name (default domain), and
// onnxruntime's com.microsoft operators its quantizer writes. A node no rule reads is refused
// with its type, name and position, on one line.
import { ModelOpUnsupportedError } from './errors';
import type { NodeProto } from './onnx';
import { OP_RULES } from './ops';
import type { OpRule } from './opContext';
import { MICROSOFT_RULES, QUANTIZED_RULES } from './quantized';

const DEFAULT_RULES: Readonly<Record<string, OpRule>> = { ...OP_RULES, ...QUANTIZED_RULES };
const RULES_BY_DOMAIN: ReadonlyMap<string, Readonly<Record<string, OpRule>>> = new Map([
  ['', DEFAULT_RULES],
  ['ai.onnx', DEFAULT_RULES],
  ['com.microsoft', MICROSOFT_RULES],
]);

export const SUPPORTED_OPS = [
  ...Object.keys(DEFAULT_RULES),
  'Constant',
  ...Object.keys(MICROSOFT_RULES).map((op) => `com.microsoft.${op}`),
].sort();

/** The rule for the node at `index` in the file's node list, named `name`. */
export function ruleFor(node: NodeProto, name: string, index: number): OpRule {
  const domain = node.domain ?? '';
  const op = node.opType ?? '';
  const rule = Object.hasOwn(RULES_BY_DOMAIN.get(domain) ?? {}, op)
    ? RULES_BY_DOMAIN.get(domain)![op]
    : undefined;
  if (!rule) {
    const type = `${domain && domain !== 'ai.onnx' ? `${domain}.` : ''}${op || '(none)'}`;
    throw new ModelOpUnsupportedError(
      `operator ${type} in node "${name}" (node ${index} in the file) is not supported (supported: ${SUPPORTED_OPS.join(', ')})`,
      { op: type, node: name, index },
    );
  }
  return rule;
}
