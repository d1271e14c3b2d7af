// Meter URIs: every scheme the lab uses, and one-line refusals for the rest.
import { describe, expect, it } from 'vitest';
import { meterFor } from '../../../src-main/power/open';
import { resolveInterval } from '../../../src-main/power/meter';
import { parseMeterUri } from '../../../src-main/power/uri';

describe('parseMeterUri', () => {
  it('reads SCPI over TCP with a default port of 5025', () => {
    expect(parseMeterUri('scpi+hmc8015://10.0.0.5')).toMatchObject({
      kind: 'scpi',
      dialect: 'hmc8015',
      host: '10.0.0.5',
      port: 5025,
      scope: { kind: 'farm' },
    });
    expect(parseMeterUri('scpi+wt300://lab-wt310:10001')).toMatchObject({
      dialect: 'wt300',
      host: 'lab-wt310',
      port: 10001,
    });
    expect(parseMeterUri('scpi+keysight://[::1]:5025')).toMatchObject({ host: '::1' });
  });

  it('reads USBTMC, serial and CSV paths', () => {
    expect(parseMeterUri('usbtmc+wt300:///dev/usbtmc0')).toMatchObject({
      kind: 'usbtmc',
      dialect: 'wt300',
      path: '/dev/usbtmc0',
    });
    expect(parseMeterUri('wattsup:///dev/ttyUSB0')).toMatchObject({
      kind: 'wattsup',
      path: '/dev/ttyUSB0',
    });
    expect(parseMeterUri('csv:///home/me/my%20log.csv')).toMatchObject({
      kind: 'csv',
      path: '/home/me/my log.csv',
    });
  });

  it('reads plugs with their default ports and Shelly generations', () => {
    expect(parseMeterUri('shelly://10.0.0.7')).toMatchObject({
      kind: 'shelly',
      gen: 'auto',
      port: 80,
    });
    expect(parseMeterUri('shelly1://10.0.0.7:8080')).toMatchObject({ gen: 1, port: 8080 });
    expect(parseMeterUri('shelly2://plug')).toMatchObject({ gen: 2 });
    expect(parseMeterUri('kasa://10.0.0.8')).toMatchObject({ kind: 'kasa', port: 9999 });
  });

  it('reads what a meter covers and its interval', () => {
    expect(parseMeterUri('kasa://10.0.0.8?device=tx2').scope).toEqual({
      kind: 'devices',
      devices: ['tx2'],
    });
    expect(parseMeterUri('shelly://h?devices=pi-1,pi-2&device=pi-3').scope).toEqual({
      kind: 'devices',
      devices: ['pi-1', 'pi-2', 'pi-3'],
    });
    expect(parseMeterUri('agent://tx2_1')).toMatchObject({
      kind: 'agent',
      device: 'tx2_1',
      scope: { kind: 'devices', devices: ['tx2_1'] },
    });
    expect(parseMeterUri('scpi+wt300://h:1?interval=0.25').intervalMs).toBe(250);
  });

  it('takes SCPI command overrides', () => {
    expect(
      parseMeterUri('scpi+keysight://h?query=MEAS:POW%3F&fields=P&setup=*RST&setup=SYST:REM'),
    ).toMatchObject({
      overrides: { setup: ['*RST', 'SYST:REM'], query: 'MEAS:POW?', fields: ['P'] },
    });
  });

  it.each([
    ['nonsense', 'is not a URI'],
    ['ftp://x', 'unknown scheme "ftp"'],
    ['scpi+wt9000://h', 'unknown SCPI dialect "wt9000"'],
    ['scpi://h', 'unknown SCPI dialect ""'],
    ['usbtmc+wt300://dev/usbtmc0', 'needs an absolute path with three slashes'],
    ['kasa://h:99999', 'is not a URI'],
    ['shelly://h?interval=-1', 'interval=-1 is not a positive number of seconds'],
    ['kasa://h?device=bad%20name', '"bad name" is not a device name'],
    ['scpi+wt300://h?query=A%0A*RST', 'SCPI commands must be one non-empty line'],
    ['scpi+wt300://h?fields=P,Q', 'fields= lists P (watts)'],
  ])('refuses %s', (uri, why) => {
    expect(() => parseMeterUri(uri)).toThrow(why);
  });
});

describe('resolveInterval', () => {
  it('snaps to the WT300 update rates and refuses what the instrument cannot do', () => {
    const wt = meterFor('scpi+wt300://h:1').info;
    expect(resolveInterval(wt)).toBe(500);
    expect(resolveInterval(wt, 300)).toBe(250);
    expect(resolveInterval(wt, 1400)).toBe(1000);
    expect(() => resolveInterval(wt, 50)).toThrow(
      'wt300@h:1 samples every 0.1 to 5 s; choose an interval in that range (got 0.05 s)',
    );
    expect(() => resolveInterval(meterFor('shelly://h').info, 200)).toThrow(/every 1 to 60 s/);
    expect(resolveInterval(meterFor('wattsup:///dev/ttyUSB0').info, 2400)).toBe(2000);
    // A log keeps its own spacing (gaps are then judged against the median step).
    expect(resolveInterval(meterFor('csv:///tmp/log.csv').info, 500)).toBe(0);
  });
});
