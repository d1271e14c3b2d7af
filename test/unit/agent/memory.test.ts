// The agent's own memory figures: resident bytes from Linux's VmRSS agree with Node's count on
// x86 (under qemu-user Node's count is 0, which is why /proc comes first), and the budget
// provisioning writes is the profile's, capped by the board's real memory.
import { describe, expect, it } from 'vitest';
import {
  availableBytes,
  checkPartMemory,
  procKbField,
  residentBytes,
} from '../../../remote-agent/src/memory';
import { builtInProfile } from '../../../src-main/planner/profile';
import { boardMemoryBudget } from '../../../src-main/provision/memoryBudget';

describe('resident bytes', () => {
  it('VmRSS matches process.memoryUsage.rss() within 3%', async () => {
    // Touch 64 MiB so the figure is not only the runtime's.
    const ballast = Buffer.alloc(64 * 2 ** 20, 1);
    const node = process.memoryUsage.rss();
    const proc = await residentBytes();
    expect(ballast[7]).toBe(1);
    expect(Math.abs(proc - node) / node).toBeLessThan(0.03);
    expect(proc).toBeGreaterThan(64 * 2 ** 20);
  });

  it('reads kB fields of /proc files and nothing else', () => {
    const status = 'Name:\tnode\nVmHWM:\t  900 kB\nVmRSS:\t  1234 kB\nRssAnon:\t 5 kB\n';
    expect(procKbField(status, 'VmRSS')).toBe(1234 * 1024);
    expect(procKbField(status, 'VmSwap')).toBeNull();
    expect(procKbField('VmRSS: lots', 'VmRSS')).toBeNull();
  });

  it('a part is judged against the configured budget, else what the kernel has available', async () => {
    const held = await residentBytes();
    expect(await checkPartMemory(1e6, held)).toMatchObject({ fits: false, budgetBytes: held });
    const roomy = await checkPartMemory(1e6, held + 64 * 2 ** 20);
    expect(roomy.fits).toBe(true);
    expect(roomy.needBytes).toBe(3e6 + 32 * 2 ** 20);
    const kernel = await checkPartMemory(1e6, null);
    expect(kernel.budgetBytes! - kernel.heldBytes).toBeGreaterThan(0);
    expect((await availableBytes())! > 0).toBe(true);
  });
});

describe('the budget provisioning writes', () => {
  const pi3 = builtInProfile('pi3');
  it("is the profile's where the probe found no memory figure", () => {
    expect(boardMemoryBudget(pi3, null)).toBe(pi3.memory.budgetBytes);
  });
  it("keeps the profile's share of a board that has less memory than the profile says", () => {
    // A Pi 3's kernel reports ~944 MB of its 1 GiB.
    const got = boardMemoryBudget(pi3, 944 * 2 ** 20);
    expect(got).toBeLessThan(pi3.memory.budgetBytes);
    expect(got! / (944 * 2 ** 20)).toBeCloseTo(
      pi3.memory.budgetBytes / pi3.memory.physicalBytes,
      6,
    );
  });
  it("never exceeds the profile's budget on a bigger board", () => {
    expect(boardMemoryBudget(pi3, 8 * 2 ** 30)).toBe(pi3.memory.budgetBytes);
  });
  it('leaves a quarter to the OS of a board without a profile, and knows none of an unknown one', () => {
    expect(boardMemoryBudget(null, 4 * 2 ** 30)).toBe(3 * 2 ** 30);
    expect(boardMemoryBudget(null, null)).toBeNull();
  });
});
