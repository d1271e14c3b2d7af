// Where the CLI looks for a browser to print PDF reports with, on each platform, against a fake
// filesystem holding only the files a test puts there.
import { describe, expect, it } from 'vitest';
import { browserCandidates, findChromium } from '../../../src-main/reports/pdf';

const fakeFs = (...files: string[]) => {
  const asked: string[] = [];
  return {
    asked,
    exists: async (p: string) => {
      asked.push(p);
      return files.includes(p);
    },
  };
};

const WIN_ENV = {
  PROGRAMFILES: 'C:\\Program Files',
  'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
  LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local',
};

describe('browser candidates', () => {
  it('finds Chrome, Chromium and Edge in /Applications and ~/Applications on macOS', async () => {
    const list = browserCandidates('darwin', { HOME: '/Users/ana' });
    expect(list).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(list).toContain('/Applications/Chromium.app/Contents/MacOS/Chromium');
    expect(list).toContain('/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge');
    const edge = '/Users/ana/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge';
    const fs = fakeFs(edge);
    expect(await findChromium({ platform: 'darwin', env: { HOME: '/Users/ana' }, ...fs })).toBe(
      edge,
    );
    // Every system-wide place is tried before the user's own folder.
    expect(fs.asked.indexOf(edge)).toBe(fs.asked.length - 1);
  });

  it('finds them under Program Files, Program Files (x86) and LOCALAPPDATA on Windows', async () => {
    const list = browserCandidates('win32', WIN_ENV);
    expect(list).toContain('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe');
    expect(list).toContain('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe');
    expect(list).toContain(
      'C:\\Users\\ana\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe',
    );
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
    expect(await findChromium({ platform: 'win32', env: WIN_ENV, ...fakeFs(edge) })).toBe(edge);
    // A missing variable adds no half path.
    expect(browserCandidates('win32', {}).length).toBe(0);
  });

  it('prefers Chrome to Edge when both are installed', async () => {
    const chrome = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
    const edge = 'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe';
    expect(await findChromium({ platform: 'win32', env: WIN_ENV, ...fakeFs(edge, chrome) })).toBe(
      chrome,
    );
  });

  it('keeps the Linux places, and MCHAIR_CHROMIUM overrides them all', async () => {
    expect(browserCandidates('linux', {})).toContain('/usr/bin/chromium');
    const fs = fakeFs('/opt/chrome/chrome', '/usr/bin/chromium');
    expect(
      await findChromium({
        platform: 'linux',
        env: { MCHAIR_CHROMIUM: '/opt/chrome/chrome' },
        ...fs,
      }),
    ).toBe('/opt/chrome/chrome');
    expect(fs.asked).toEqual(['/opt/chrome/chrome']);
  });

  it('names every place it looked and what to do when nothing is there', async () => {
    await expect(findChromium({ platform: 'darwin', env: {}, ...fakeFs() })).rejects.toMatchObject({
      code: 'NO_CHROMIUM',
      message: expect.stringMatching(
        /Google Chrome\.app.*Chromium\.app.*Microsoft Edge\.app.*set MCHAIR_CHROMIUM/,
      ),
    });
  });
});
