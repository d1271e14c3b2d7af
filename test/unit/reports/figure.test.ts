// The figure grammar's parts that need no browser: text measured from the font's table and
// wrapped without losing a character, and runs turned into groups and columns.
import { describe, expect, it } from 'vitest';
import { figureSpec, type FigureRun } from '../../../src-main/reports/figure/figures';
import { textWidth, wrap } from '../../../src-main/reports/figure/text';

describe('figure text', () => {
  it("measures with DejaVu Sans's advances, unknown characters as the widest", () => {
    // DejaVu Sans: "i" 278, "W" 989 thousandths of the size.
    expect(textWidth('iW', { size: 10 })).toBeCloseTo(12.67, 1);
    expect(textWidth('W', { size: 10, bold: true })).toBeGreaterThan(textWidth('W', { size: 10 }));
    expect(textWidth('漢', { size: 10 })).toBeGreaterThanOrEqual(textWidth('W', { size: 10 }));
  });

  it('wraps at spaces, breaks a long word after a hyphen, and keeps every character', () => {
    const style = { size: 11 };
    const label =
      '6x pi3-model-b-on-shared-2.4GHz-wifi · auto-from-measured-profiles (3\u00a0runs)';
    const lines = wrap(label, 90, style);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(textWidth(l, style)).toBeLessThanOrEqual(90);
    expect(lines.join(' ').replace(/- /g, '-')).toBe(label);
    expect(lines.some((l) => l.endsWith('-'))).toBe(true);
    // A no-break space holds "3 runs" on one line.
    expect(lines.some((l) => l.includes('(3\u00a0runs)'))).toBe(true);
  });
});

describe('figure spec', () => {
  const run = (id: string, plan: string, ips: number, emulated = true): FigureRun => ({
    runId: id,
    configuration: { model: 'alexnet-mc', farm: '6x pi3', plan, meters: 'emulated@farm' },
    emulated,
    ips,
    energy: { perInferenceJ: { static: 6 / ips, dynamic: 4 / ips, total: 10 / ips } },
  });

  it('makes repeats of a configuration one column with their spread, the paper beside', () => {
    const spec = figureSpec('ips', [
      run('a', 'paper-5', 4),
      run('b', 'paper-5', 6),
      run('c', 'auto', 5, false),
    ]);
    expect(spec.groups).toHaveLength(1);
    const cols = spec.groups[0]!.columns;
    expect(cols.map((c) => [c.label, c.source])).toEqual([
      ['6x pi3 · paper-5 · (2\u00a0runs)', 'emulated'],
      ['6x pi3 · auto', 'measured'],
      ['TX2 GPU', 'paper'],
      ['TX2 CPU', 'paper'],
      ['5 Pis', 'paper'],
      ['6 Pis', 'paper'],
    ]);
    expect(cols[0]!.values.ips).toMatchObject({ value: 5, spread: { n: 2, min: 4, max: 6 } });
    expect(cols[1]!.values.ips).toEqual({ value: 5, spread: null });
  });

  it('leaves out runs without the figure, and the paper only for models it ran', () => {
    const unmetered: FigureRun = { ...run('a', 'auto', 4), energy: null };
    expect(
      figureSpec('energy', [unmetered]).groups[0]!.columns.every((c) => c.source === 'paper'),
    ).toBe(true);
    const tiny: FigureRun = {
      ...run('t', 'auto', 9),
      configuration: { model: 'tiny-cnn', farm: '2x pi4', plan: 'auto', meters: '' },
    };
    expect(figureSpec('ips', [tiny]).groups).toEqual([
      expect.objectContaining({
        title: 'tiny-cnn',
        columns: [expect.objectContaining({ source: 'emulated' })],
      }),
    ]);
    expect(figureSpec('energy', [{ ...tiny, energy: null }]).groups).toEqual([]);
  });
});
