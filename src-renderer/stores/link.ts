// How this page reaches the core (Electron bridge or `mchair serve`'s socket) and whether it can.
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { watchLink, type LinkState } from '../api/index';

export const useLinkStore = defineStore('link', () => {
  const state = shallowRef<LinkState>({ kind: 'connecting' });
  watchLink((s) => {
    state.value = s;
  });
  /** A sentence for the shell's banner, or null while all is well. */
  const problem = computed<string | null>(() => {
    switch (state.value.kind) {
      case 'no-token':
        return 'This page was opened without its token. Open the exact address `mchair serve` printed (it ends in ?token=…).';
      case 'refused':
        return '`mchair serve` refused this page: the token is wrong or the server was restarted. Open the address it printed this time.';
      case 'lost':
        return 'The connection to `mchair serve` closed. Start it again (`npm run serve`) and open the address it prints.';
      default:
        return null;
    }
  });
  return { state, problem };
});
