// Finding boards to add in the Farm view: the ones that announce themselves over mDNS, and a scan
// of a subnet's addresses for an SSH port, with its progress while it runs.
import type { Ref } from 'vue';
import { ref, shallowRef } from 'vue';
import type { AnnouncedHost, FoundHost } from '../../src-main/contract/index';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';

/** `error`: the farm store's line, where a failed stop is told. */
export function useBoardScan(error: Ref<string | null>) {
  /** Boards that announced themselves over mDNS, or why listening failed. */
  async function discover(
    interfaceAddress: string,
  ): Promise<{ found: AnnouncedHost[] } | { error: string }> {
    try {
      return await api.call('devices/discover', interfaceAddress ? { interfaceAddress } : {});
    } catch (err) {
      return { error: errorSentence(err) };
    }
  }

  /** The scan under way: addresses tried of the subnet's (null when none runs). */
  const scanProgress = shallowRef<{ done: number; total: number } | null>(null);
  const scanning = ref(false);
  api.on('scan/progress', (p) => {
    if (scanning.value) scanProgress.value = p;
  });

  async function scan(
    subnet: string,
    port: number,
  ): Promise<{ found: FoundHost[]; stopped: boolean } | { error: string }> {
    scanning.value = true;
    scanProgress.value = null;
    try {
      return await api.call('devices/scan', { subnet, port });
    } catch (err) {
      return { error: errorSentence(err) };
    } finally {
      scanning.value = false;
      scanProgress.value = null;
    }
  }

  async function stopScan(): Promise<void> {
    try {
      await api.call('devices/stop-scan', {});
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  return { discover, scan, scanProgress, scanning, stopScan };
}
