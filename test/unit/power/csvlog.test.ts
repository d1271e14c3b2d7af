// Other tools' power logs: watts or volts and amps, units from the header, relative or
// wall-clock times, and refusals naming the line.
import { describe, expect, it } from 'vitest';
import { parsePowerLog } from '../../../src-main/power/csvlog';

describe('parsePowerLog', () => {
  it('reads time and watts', () => {
    expect(parsePowerLog('log', 'time,watts\n0,10\n0.5,12\n1.0,11\n')).toEqual({
      absolute: false,
      rows: [
        { t: 0, w: 10 },
        { t: 500, w: 12 },
        { t: 1000, w: 11 },
      ],
    });
  });

  it('reads a Monsoon export: seconds, mA and volts', () => {
    const log = parsePowerLog(
      'log',
      'Time(s),Main(mA),Main Voltage(V)\n0.0002,850.5,5.1\n0.0004,900,5.1\n',
    );
    expect(log.rows[0]!.t).toBeCloseTo(0.2, 9);
    expect(log.rows[0]!.a).toBeCloseTo(0.8505, 9);
    expect(log.rows[0]!.w).toBeCloseTo(0.8505 * 5.1, 9);
  });

  it('reads milliseconds, milliwatts, semicolons and quotes', () => {
    const log = parsePowerLog('log', '"time_ms";"power (mW)"\n100;2500\n300;2600\n');
    expect(log.rows).toEqual([
      { t: 100, w: 2.5 },
      { t: 300, w: 2.6 },
    ]);
  });

  it('marks wall-clock times as absolute', () => {
    expect(
      parsePowerLog('log', 'timestamp,w\n2026-11-26T05:00:00.000Z,3\n2026-11-26T05:00:01.000Z,4\n'),
    ).toEqual({
      absolute: true,
      rows: [
        { t: Date.parse('2026-11-26T05:00:00Z'), w: 3 },
        { t: Date.parse('2026-11-26T05:00:01Z'), w: 4 },
      ],
    });
    expect(parsePowerLog('log', 't,p\n1764133200.5,3\n').absolute).toBe(true);
  });

  it.each([
    ['', 'the log is empty'],
    ['when,what\n1,2\n', 'needs a time column and watts, or volts and amps'],
    ['time,watts\n', 'has a header but no samples'],
    ['time,watts\n0,1\n1,INF\n', 'log line 3: watts is INF'],
    ['time,watts\n0,1\n1,\n', 'log line 3: watts is not a number'],
    ['time,watts\n0,1\n1,abc\n', 'log line 3: watts is not a number: "abc"'],
    ['time,watts\n1,1\n0,1\n', 'log line 3: time goes backwards'],
    ['time,watts\n0,-40\n', 'negative power -40 W'],
  ])('refuses %j', (text, why) => {
    expect(() => parsePowerLog('log', text)).toThrow(why);
  });
});
