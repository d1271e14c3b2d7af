// keysIn: the fingerprints the host-key modal shows, read from HostTrust's sentences.
import { describe, expect, it } from 'vitest';
import { keysIn } from '../../../src-renderer/hostKey';

const FP1 = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const FP2 = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

describe('keysIn', () => {
  it('reads the presented key of an unknown host', () => {
    const message = `the host key of pi-01 (pi@10.0.0.1:22) is not known yet (ssh-ed25519 ${FP1}); compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the board, then run again with --accept-new`;
    expect(keysIn(message)).toEqual([{ keyType: 'ssh-ed25519', fingerprint: FP1 }]);
  });

  it('reads the known keys and the new one of a changed host', () => {
    const message = `the host key of pi-01 (pi@10.0.0.1:22) has changed: known ssh-ed25519 ${FP1}, now ecdsa-sha2-nistp256 ${FP2}; this can be a man-in-the-middle attack`;
    expect(keysIn(message)).toEqual([
      { keyType: 'ssh-ed25519', fingerprint: FP1 },
      { keyType: 'ecdsa-sha2-nistp256', fingerprint: FP2 },
    ]);
  });

  it('finds none in a sentence about something else', () => {
    expect(keysIn('authentication failed for pi@10.0.0.1')).toEqual([]);
  });
});
