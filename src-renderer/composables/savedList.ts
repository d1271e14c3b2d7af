// The state of a list the core keeps whole in the data folder (saved meters, model mirrors):
// every call that edits it answers with the whole new list, which replaces the shown one.
import { ref, shallowRef } from 'vue';
import { errorSentence } from '../api/sentence';

export function savedListState<T, R>(listOf: (result: R) => T[]) {
  const items = shallowRef<T[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  /** Runs one call that answers with the whole list; returns the core's sentence when it fails. */
  async function apply(call: () => Promise<R>): Promise<string | null> {
    try {
      items.value = listOf(await call());
      error.value = null;
      return null;
    } catch (err) {
      return errorSentence(err);
    } finally {
      loaded.value = true;
    }
  }

  return { items, loaded, error, apply };
}
