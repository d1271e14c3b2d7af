// Every network and device-file meter driver against its simulator, through the same path
// `mchair power read` takes: URI -> driver -> real socket, HTTP server or pty.
import { afterEach, describe, expect, it } from 'vitest';
import { readMeter } from '../../../src-main/power/read';
import { startKasaSim } from '../../sim/kasa-sim';
import { startScpiTcpSim, startScpiUsbtmcSim, truncated } from '../../sim/scpi-sim';
import { startShellySim } from '../../sim/shelly-sim';
import { constant, type Trace } from '../../sim/trace';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the read to fail');
}

describe('SCPI over TCP', () => {
  for (const dialect of ['wt300', 'hmc8015', 'keysight'] as const) {
    it(`${dialect}: configures the instrument and reads watts`, async () => {
      const sim = await startScpiTcpSim(dialect, constant(104.75));
      closers.push(sim.close);
      const r = await readMeter(`scpi+${dialect}://127.0.0.1:${sim.port}`, {
        seconds: 0.45,
        intervalMs: 100,
      });
      expect(r.meter).toBe(`${dialect}@127.0.0.1:${sim.port}`);
      expect(r.samples).toBeGreaterThanOrEqual(3);
      expect(r.avgW).toBeCloseTo(104.75, dialect === 'keysight' ? 2 : 6);
      expect(r.energyJ).toBeCloseTo(104.75 * r.durationS, 1);
      expect(sim.commands[0]).toBe('*IDN?');
    });
  }

  it('covers the seconds asked: first to last sample within one interval of them', async () => {
    const sim = await startScpiTcpSim('hmc8015', constant(20));
    closers.push(sim.close);
    for (const seconds of [0.5, 1.5]) {
      const r = await readMeter(`scpi+hmc8015://127.0.0.1:${sim.port}`, {
        seconds,
        intervalMs: 100,
      });
      expect(Math.abs(r.durationS - seconds)).toBeLessThanOrEqual(0.1);
      expect(r.intervalMs).toBe(100);
      expect(r.samples).toBeGreaterThanOrEqual(Math.floor(seconds / 0.1));
    }
  });

  it('wt300: sends the dialect table, with the update rate nearest the interval asked', async () => {
    const sim = await startScpiTcpSim('wt300', constant(50));
    closers.push(sim.close);
    await readMeter(`scpi+wt300://127.0.0.1:${sim.port}?interval=0.3`, { seconds: 0.3 });
    expect(sim.commands.slice(0, 9)).toEqual([
      '*IDN?',
      ':COMM:REM ON',
      ':COMM:HEAD OFF',
      ':NUM:FORM ASCII',
      ':NUM:NORM:NUM 3',
      ':NUM:NORM:ITEM1 P,1',
      ':NUM:NORM:ITEM2 U,1',
      ':NUM:NORM:ITEM3 I,1',
      ':RATE 250MS',
    ]);
    // Closing hands the front panel back.
    expect(sim.commands[sim.commands.length - 1]).toBe(':COMM:REM OFF');
  });

  it('takes setup commands from the URI instead of the table', async () => {
    const sim = await startScpiTcpSim('hmc8015', constant(7));
    closers.push(sim.close);
    await readMeter(`scpi+hmc8015://127.0.0.1:${sim.port}?setup=SYST:REM&setup=CHAN1:ACC%20ON`, {
      seconds: 0.2,
      intervalMs: 100,
    });
    expect(sim.commands.slice(0, 3)).toEqual(['*IDN?', 'SYST:REM', 'CHAN1:ACC ON']);
  });

  it('refuses NAN and INF in one line', async () => {
    const nan: Trace = { watts: () => 1, garble: () => 'NAN,230.1E+00,NAN' };
    const sim = await startScpiTcpSim('wt300', nan);
    closers.push(sim.close);
    expect(
      await failure(
        readMeter(`scpi+wt300://127.0.0.1:${sim.port}`, { seconds: 0.3, intervalMs: 100 }),
      ),
    ).toBe(
      `wt300@127.0.0.1:${sim.port}: watts is NAN (no data or over-range: check the range and wiring)`,
    );
    const inf = await startScpiTcpSim('hmc8015', {
      watts: () => 1,
      garble: () => '2.3E+02,INF,1.0E+01',
    });
    closers.push(inf.close);
    expect(
      await failure(
        readMeter(`scpi+hmc8015://127.0.0.1:${inf.port}`, { seconds: 0.3, intervalMs: 100 }),
      ),
    ).toMatch(/amps is INF/);
  });

  it('refuses a reply with too few values, and one cut short by a closed connection', async () => {
    const short = await startScpiTcpSim('wt300', { watts: () => 1, garble: () => '104.75E+00' });
    closers.push(short.close);
    expect(
      await failure(
        readMeter(`scpi+wt300://127.0.0.1:${short.port}`, { seconds: 0.3, intervalMs: 100 }),
      ),
    ).toMatch(/reply has 1 values, expected 3/);
    const cut = await startScpiTcpSim('wt300', {
      watts: () => 1,
      garble: () => truncated('104.7'),
    });
    closers.push(cut.close);
    const msg = failure(
      readMeter(`scpi+wt300://127.0.0.1:${cut.port}`, { seconds: 0.3, intervalMs: 100 }),
    );
    // The instrument goes silent mid-reply; the driver gives up in one line, not a hang.
    expect(await msg).toMatch(/no answer to ":NUM:NORM:VAL\?" within 3 s/);
  });

  it('names an unreachable instrument', async () => {
    const sim = await startScpiTcpSim('wt300', constant(1));
    await sim.close();
    expect(
      await failure(readMeter(`scpi+wt300://127.0.0.1:${sim.port}`, { seconds: 0.2 })),
    ).toMatch(/cannot connect to 127\.0\.0\.1:\d+/);
  });
});

describe('USBTMC device file', () => {
  it('wt300 over /dev/usbtmc-like file: same dialect, write-then-read', async () => {
    const sim = await startScpiUsbtmcSim('wt300', constant(12.5));
    closers.push(sim.close);
    const r = await readMeter(`usbtmc+wt300://${sim.path}`, { seconds: 0.35, intervalMs: 100 });
    expect(r.meter).toBe(`wt300@${sim.path}`);
    expect(r.samples).toBeGreaterThanOrEqual(2);
    expect(r.avgW).toBeCloseTo(12.5, 6);
    expect(sim.commands).toContain(':RATE 100MS');
  });

  it('refuses garbage read from the device file', async () => {
    const sim = await startScpiUsbtmcSim('wt300', {
      watts: () => 1,
      garble: () => 'hello,world,!',
    });
    closers.push(sim.close);
    expect(
      await failure(readMeter(`usbtmc+wt300://${sim.path}`, { seconds: 0.3, intervalMs: 100 })),
    ).toMatch(/watts is not a number: "hello"/);
  });

  it('names a missing device file', async () => {
    expect(await failure(readMeter('usbtmc+wt300:///dev/usbtmc-none', { seconds: 0.2 }))).toBe(
      'wt300@/dev/usbtmc-none: cannot open /dev/usbtmc-none: ENOENT',
    );
  });
});

describe('Shelly', () => {
  it('Gen2, detected through /shelly', async () => {
    const sim = await startShellySim(2, constant(42.5));
    closers.push(sim.close);
    const r = await readMeter(`shelly://127.0.0.1:${sim.port}`, { seconds: 0.5 });
    expect(r.samples).toBe(1);
    expect(r.avgW).toBe(42.5);
    expect(sim.requests).toEqual(['/shelly', '/rpc/Switch.GetStatus?id=0']);
  });

  it('Gen1, detected through /shelly and read from /status', async () => {
    const sim = await startShellySim(1, constant(9.75));
    closers.push(sim.close);
    const r = await readMeter(`shelly://127.0.0.1:${sim.port}`, { seconds: 0.5 });
    expect(r.avgW).toBe(9.75);
    expect(sim.requests).toEqual(['/shelly', '/status']);
  });

  it('shelly1:// goes straight to /status and samples once a second', async () => {
    const sim = await startShellySim(1, { watts: (t) => 10 + t });
    closers.push(sim.close);
    const r = await readMeter(`shelly1://127.0.0.1:${sim.port}`, { seconds: 2.2 });
    expect(sim.requests[0]).toBe('/status');
    expect(r.samples).toBe(3);
    expect(r.durationS).toBeGreaterThan(1.9);
    expect(r.maxW - r.minW).toBeGreaterThan(1.9);
  });

  it('refuses malformed JSON and a missing apower', async () => {
    const bad = await startShellySim(2, { watts: () => 1, garble: () => '{"apower": 12.' });
    closers.push(bad.close);
    expect(await failure(readMeter(`shelly2://127.0.0.1:${bad.port}`, { seconds: 0.3 }))).toBe(
      `shelly@127.0.0.1:${bad.port}: answer is not JSON: "{\\"apower\\": 12."`,
    );
    const none = await startShellySim(2, {
      watts: () => 1,
      garble: () => '{"id":0,"output":true}',
    });
    closers.push(none.close);
    expect(await failure(readMeter(`shelly2://127.0.0.1:${none.port}`, { seconds: 0.3 }))).toMatch(
      /has no "apower"/,
    );
  });
});

describe('Kasa HS110', () => {
  it('names a closed port, and the newer firmware that closes it', async () => {
    const sim = await startKasaSim(1, constant(1));
    await sim.close();
    expect(await failure(readMeter(`kasa://127.0.0.1:${sim.port}`, { seconds: 0.2 }))).toBe(
      `kasa@127.0.0.1:${sim.port}: connect ECONNREFUSED 127.0.0.1:${sim.port} (wrong address, or firmware that only speaks the newer KLAP protocol)`,
    );
  });

  it('hardware v1: W, V and A', async () => {
    const sim = await startKasaSim(1, constant(61.2));
    closers.push(sim.close);
    const r = await readMeter(`kasa://127.0.0.1:${sim.port}`, { seconds: 0.8, intervalMs: 500 });
    expect(r.avgW).toBeCloseTo(61.2, 9);
    expect(sim.requests[0]).toBe('{"emeter":{"get_realtime":{}}}');
  });

  it('hardware v2: mW, mV and mA', async () => {
    const sim = await startKasaSim(2, constant(61.2));
    closers.push(sim.close);
    const r = await readMeter(`kasa://127.0.0.1:${sim.port}`, { seconds: 0.8, intervalMs: 500 });
    expect(r.avgW).toBeCloseTo(61.2, 9);
  });

  it('refuses a truncated frame, bad JSON and a plug without a meter', async () => {
    const cut = await startKasaSim(1, {
      watts: () => 1,
      garble: (n) => (n === 0 ? undefined : '\u0000{"emeter":{"get_realtime":{"power":1}}}'),
    });
    closers.push(cut.close);
    expect(await failure(readMeter(`kasa://127.0.0.1:${cut.port}`, { seconds: 0.3 }))).toMatch(
      /connection closed mid-frame \(\d+ bytes, truncated\)/,
    );
    const junk = await startKasaSim(1, { watts: () => 1, garble: () => 'not json' });
    closers.push(junk.close);
    expect(await failure(readMeter(`kasa://127.0.0.1:${junk.port}`, { seconds: 0.3 }))).toMatch(
      /answer is not JSON: "not json"/,
    );
    const hs100 = await startKasaSim(1, {
      watts: () => 1,
      garble: () => '{"emeter":{"err_code":-1,"err_msg":"module not support"}}',
    });
    closers.push(hs100.close);
    expect(await failure(readMeter(`kasa://127.0.0.1:${hs100.port}`, { seconds: 0.3 }))).toMatch(
      /no emeter\.get_realtime \(an HS100 has no meter/,
    );
  });
});
