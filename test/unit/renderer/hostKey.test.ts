// keysOf: the fingerprints the host-key modal shows, read from the error's fields, never from its
// sentence.
import { describe, expect, it } from 'vitest';
import { keysOf, type HostKeyQuestion } from '../../../src-renderer/hostKey';

const FP1 = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const FP2 = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
const ed = { keyType: 'ssh-ed25519', fingerprint: FP1 };
const ecdsa = { keyType: 'ecdsa-sha2-nistp256', fingerprint: FP2 };

function question(details: HostKeyQuestion['details'], message = 'refused'): HostKeyQuestion {
  return { name: 'pi-01', code: details?.code ?? 'HOST_KEY_UNKNOWN', message, details };
}

describe('keysOf', () => {
  it('shows the presented key of an unknown host', () => {
    const q = question({ code: 'HOST_KEY_UNKNOWN', host: '10.0.0.1', port: 22, presented: ed });
    expect(keysOf(q)).toEqual([ed]);
  });

  it('shows the known keys and then the new one of a changed host', () => {
    const q = question({
      code: 'HOST_KEY_CHANGED',
      host: '10.0.0.1',
      port: 22,
      presented: ecdsa,
      known: [ed],
    });
    expect(keysOf(q)).toEqual([ed, ecdsa]);
  });

  it('reads nothing from a sentence: no fields, no keys', () => {
    const q = question(
      null,
      `the host key of pi-01 (pi@10.0.0.1:22) is not known yet (ssh-ed25519 ${FP1})`,
    );
    expect(keysOf(q)).toEqual([]);
  });
});
