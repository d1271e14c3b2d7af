// An error's fields survive both ways an error leaves the core: Electron IPC (structured clone)
// and the WebSocket of `mchair serve` (JSON). Every code with fields is listed here: a code added
// to ErrorDetails without a sample fails the first test.
import { describe, expect, it } from 'vitest';
import {
  AppError,
  BackendCannotRunError,
  ErrorDetails,
  fromWireError,
  toWireError,
} from '../../../src-main/contract/errors';
import type { WireError } from '../../../src-main/contract/define';

const ed = {
  keyType: 'ssh-ed25519',
  fingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
};
const rsa = {
  keyType: 'ssh-rsa',
  fingerprint: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
};
const at = { host: '10.0.0.3', port: 2222, presented: ed };

const samples: Record<ErrorDetails['code'], AppError> = {
  HOST_KEY_UNKNOWN: new AppError('HOST_KEY_UNKNOWN', 'not known yet', {
    board: 'pi-03',
    details: { code: 'HOST_KEY_UNKNOWN', ...at },
  }),
  HOST_KEY_CHANGED: new AppError('HOST_KEY_CHANGED', 'has changed', {
    board: 'pi-03',
    details: { code: 'HOST_KEY_CHANGED', ...at, known: [rsa, ed] },
  }),
  HOST_KEY_REVOKED: new AppError('HOST_KEY_REVOKED', 'revoked', {
    board: 'pi-03',
    details: { code: 'HOST_KEY_REVOKED', ...at },
  }),
  HOST_KEY_REJECTED: new AppError('HOST_KEY_REJECTED', 'not trusted', {
    details: { code: 'HOST_KEY_REJECTED', ...at },
  }),
  BACKEND_CANNOT_RUN: new BackendCannotRunError('tx2-1', {
    part: 's1.p0',
    backend: 'wasm',
    op: 'com.microsoft.QLinearConv',
    node: 'conv1_quant',
    reason: 'no kernel',
  }),
  MODEL_TOO_BIG: new AppError('MODEL_TOO_BIG', 'too big', {
    details: { code: 'MODEL_TOO_BIG', maxBytes: 4 * 1024 ** 3 },
  }),
};

const crossings: Record<string, (w: WireError) => WireError> = {
  'Electron IPC': (w) => structuredClone(w),
  'the WebSocket': (w) => JSON.parse(JSON.stringify(w)) as WireError,
};

describe('error fields across IPC and the WebSocket', () => {
  it('has a sample for every code with fields', () => {
    const codes = ErrorDetails.options.map((o) => o.shape.code.value).sort();
    expect(Object.keys(samples).sort()).toEqual(codes);
  });

  for (const [code, err] of Object.entries(samples)) {
    for (const [how, cross] of Object.entries(crossings)) {
      it(`${code} keeps its code, sentence, board and fields over ${how}`, () => {
        const back = fromWireError(cross(toWireError(err)));
        expect(back.code).toBe(code);
        expect(back.message).toBe(err.message);
        expect(back.board).toBe(err.board);
        expect(back.details).toEqual(err.details);
        expect(back.details?.code).toBe(code);
      });
    }
  }

  it('a board failure names its board in a field', () => {
    expect(samples.BACKEND_CANNOT_RUN.board).toBe('tx2-1');
    expect(samples.BACKEND_CANNOT_RUN.details).toMatchObject({
      part: 's1.p0',
      op: 'com.microsoft.QLinearConv',
    });
  });

  it('drops fields that do not match their code, keeping the code and sentence', () => {
    const wire: WireError = {
      name: 'AppError',
      code: 'HOST_KEY_CHANGED',
      message: 'has changed',
      board: 42 as unknown as string,
      details: { code: 'HOST_KEY_UNKNOWN', ...at },
    };
    const back = fromWireError(JSON.parse(JSON.stringify(wire)) as WireError);
    expect([back.code, back.message, back.board, back.details]).toEqual([
      'HOST_KEY_CHANGED',
      'has changed',
      null,
      null,
    ]);
    const garbled = fromWireError({
      ...wire,
      details: { code: 'HOST_KEY_CHANGED', host: 1 } as never,
    });
    expect(garbled.details).toBeNull();
  });

  it('refuses to build an error whose fields belong to another code', () => {
    expect(
      () => new AppError('AUTH_FAILED', 'x', { details: { code: 'MODEL_TOO_BIG', maxBytes: 1 } }),
    ).toThrow('an AUTH_FAILED error cannot carry MODEL_TOO_BIG details');
  });

  it('an error without fields crosses as it did', () => {
    const back = fromWireError(JSON.parse(JSON.stringify(toWireError(new AppError('X', 'y')))));
    expect([back.code, back.message, back.board, back.details]).toEqual(['X', 'y', null, null]);
    expect(toWireError(new Error('boom'))).toEqual({
      name: 'InternalError',
      code: 'INTERNAL',
      message: 'internal error: boom',
    });
  });
});
