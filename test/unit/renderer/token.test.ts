// takeToken: the serve token moves from the URL into this tab's sessionStorage.
import { describe, expect, it } from 'vitest';
import { takeToken } from '../../../src-renderer/api/token';

function tab(href: string) {
  const stored = new Map<string, string>();
  const state = { href, replaced: null as string | null };
  return {
    state,
    location: {
      get href() {
        return state.href;
      },
    },
    storage: {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
    },
    history: {
      state: null,
      replaceState: (_s: unknown, _t: string, url?: string | URL | null) => {
        state.href = String(url);
        state.replaced = String(url);
      },
    },
  };
}

describe('takeToken', () => {
  it('takes the token from the URL, keeps it, and removes it from the address', () => {
    const t = tab('http://127.0.0.1:7470/?token=abc123#/run');
    expect(takeToken(t.location, t.storage, t.history)).toBe('abc123');
    expect(t.state.replaced).toBe('http://127.0.0.1:7470/#/run');
    // A reload: no token in the URL any more, the tab still has it.
    expect(takeToken(t.location, t.storage, t.history)).toBe('abc123');
  });

  it('has none for a page opened without one', () => {
    const t = tab('http://127.0.0.1:7470/#/farm');
    expect(takeToken(t.location, t.storage, t.history)).toBeNull();
    expect(t.state.replaced).toBeNull();
  });
});
