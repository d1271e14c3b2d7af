// onnxruntime's three wordings of "this build cannot run that operator", read into the part,
// backend, operator and node a deploy refusal names; other failures pass through as they are.
import { describe, expect, it } from 'vitest';
import {
  parseRefusal,
  refusalMessage,
  refusalOf,
} from '../../../remote-agent/src/protocol/refusal';

describe('backend refusals', () => {
  it.each([
    [
      "Can't create a session. ERROR_CODE: 9, ERROR_MESSAGE: Could not find an implementation for QLinearConv(10) node with name 'conv1_quant'",
      'QLinearConv',
      'conv1_quant',
    ],
    [
      "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: Fatal error: com.microsoft:QLinearMystery(-1) is not a registered function/op",
      'com.microsoft.QLinearMystery',
      null,
    ],
    [
      'This is an invalid model. In Node, ("odd", Mystery, "", -1) : ("x": tensor(float),) -> ("y": tensor(float),) , Error No Op registered for Mystery with domain_version of 17',
      'Mystery',
      null,
    ],
  ])('reads %s', (message, op, node) => {
    const r = refusalOf('s1.p0', 'wasm', new Error(message));
    expect(r).toMatchObject({ part: 's1.p0', backend: 'wasm', op, node });
    expect(r.reason).not.toMatch(/^Can't create a session/);
    expect(parseRefusal(`deploy: ${refusalMessage(r)}`)).toEqual(r);
  });

  it('passes other failures on with their reason, and reads no refusal in other errors', () => {
    const r = refusalOf('s0.p0', 'node', new Error('Protobuf parsing failed.\nat offset 12'));
    expect(r).toMatchObject({
      op: null,
      node: null,
      reason: 'Protobuf parsing failed. at offset 12',
    });
    expect(parseRefusal('sha256 of s0.p0.onnx does not match')).toBeNull();
    expect(parseRefusal('BACKEND_CANNOT_RUN {not json')).toBeNull();
  });
});
