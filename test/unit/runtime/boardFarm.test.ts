// What a run's push of part files to the lab's boards says while it lasts: a line per board once a
// second (on a given clock), none for a push quicker than that, none at the very end.
import { describe, expect, it } from 'vitest';
import { progressLines } from '../../../src-main/runtime/boardFarm';

const MIB = 2 ** 20;

describe('progressLines', () => {
  it('says how far each board is once a second, and nothing at the end', () => {
    const lines: string[] = [];
    let t = 0;
    const onProgress = progressLines(
      (l) => lines.push(l),
      () => t,
    );
    const total = 100 * MIB;
    for (t = 0; t <= 2500; t += 100) {
      onProgress('pi-1', (t / 2500) * total, total);
      onProgress('pi-2', Math.min(total, (t / 500) * total), total);
    }
    expect(lines).toEqual([
      'pi-1: sending part files, 40.0 of 100.0 MiB',
      'pi-1: sending part files, 80.0 of 100.0 MiB',
    ]);
  });

  it('says nothing for a push that ends within the first second', () => {
    const lines: string[] = [];
    let t = 0;
    const onProgress = progressLines(
      (l) => lines.push(l),
      () => t,
    );
    for (t = 0; t <= 900; t += 300) onProgress('pi-1', t * MIB, 900 * MIB);
    expect(lines).toEqual([]);
  });
});
