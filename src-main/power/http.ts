// A JSON GET with a deadline, for meters that answer over HTTP: unreachable hosts, error statuses
// and bodies that are not JSON each become one sentence.
import { AppError } from '../contract/index';
import { MeterGarbageError } from './sample';

const TIMEOUT_MS = 3000;

export async function getJson(label: string, url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const why =
      (e as Error).name === 'TimeoutError'
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : ((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
    throw new AppError('METER_UNREACHABLE', `${label}: cannot reach ${url}: ${why}`);
  }
  const text = await res.text();
  if (res.status === 401)
    throw new AppError(
      'METER_AUTH',
      `${label}: the device asks for a password; turn off its authentication for the LAN`,
    );
  if (!res.ok)
    throw new AppError('METER_UNREACHABLE', `${label}: ${url} answered HTTP ${res.status}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new MeterGarbageError(label, `answer is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
}
