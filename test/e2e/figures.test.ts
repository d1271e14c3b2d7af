// Figures fit for a paper (issue 18 must 3): `mchair report --figure` draws each figure from
// recorded runs with long model, farm and plan names, repeated runs among them; Chromium lays
// every figure out and no two text boxes may overlap, none may leave the figure, no label may be
// cut. The PNG has the DPI's pixel size (and says its DPI), the PDF is vector (its labels are
// text pdftotext reads back) on a page the figure's size.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/index';
import type { Plan } from '../../src-main/contract/plan';
import { EmulatedMeter } from '../../src-main/power/emulated';
import { runMchair } from '../integration/cli/run-mchair';
import { PLAN, recordRun } from '../integration/reports/fixtures';
import { CHROMIUM_ARGS } from './labPage';

const exec = promisify(execFile);
const MODEL = 'alexnet-mc-retrained-on-the-lab-s-own-photographs';
const PROFILE = 'pi3-model-b-on-shared-2.4GHz-wifi';
const ORIGIN = 'auto-from-measured-profiles-objective-energy';

let dataDir: string;
let outDir: string;
let browser: Browser;
const runs: RunSummary[] = [];

const mchair = (...args: string[]) => runMchair('--data-dir', dataDir, ...args);

/** A run of `model` on the fixture's four boards renamed to `profile`, planned by `origin`. */
function record(model: string, profile: string, origin: string, ips: number) {
  let running = false;
  const meter = new EmulatedMeter(
    [
      { device: 'pi-1', idleW: 1.3, fullW: 6.5 },
      { device: 'pi-2', idleW: 1.3, fullW: 6.5 },
    ],
    () => (running ? 0.5 + ips / 20 : 0),
    { kind: 'farm' },
  );
  const plan: Plan = {
    ...PLAN,
    model,
    origin,
    devices: PLAN.devices.map((d) => ({ ...d, profile })),
  };
  return recordRun(dataDir, {
    model,
    meters: [{ meter, intervalMs: 50 }],
    ips,
    seconds: 1,
    devices: ['pi-1', 'pi-2'],
    emulated: true,
    plan,
    onRunStart: () => (running = true),
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mchair-figures-'));
  outDir = await mkdtemp(join(tmpdir(), 'mchair-figures-out-'));
  // Three repeats of one long-named configuration, one run of another plan, one of VGG16.
  for (const ips of [3, 3.6, 4.1]) runs.push(await record(MODEL, PROFILE, ORIGIN, ips));
  runs.push(await record(MODEL, PROFILE, 'paper-5', 4.4));
  runs.push(await record('vgg16', 'pi3', 'paper-11', 1.1));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

interface Box {
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Page script: every text element of the page's figure with its box, in the figure's own units
 * (a string, since this file is type-checked without the DOM library).
 */
const TEXT_BOXES = `(() => {
  const root = document.querySelector('svg');
  const r = root.getBoundingClientRect();
  const boxes = [...root.querySelectorAll('text')].map((t) => {
    const b = t.getBoundingClientRect();
    return { text: t.textContent, x: b.x - r.x, y: b.y - r.y, w: b.width, h: b.height };
  });
  return { boxes, width: root.viewBox.baseVal.width, height: root.viewBox.baseVal.height };
})()`;

/** Every text element of a figure, with its box, laid out by Chromium. */
async function textBoxes(svg: string): Promise<{ boxes: Box[]; width: number; height: number }> {
  const page = await browser.newPage();
  try {
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await page.evaluate('document.fonts.ready');
    return (await page.evaluate(TEXT_BOXES)) as { boxes: Box[]; width: number; height: number };
  } finally {
    await page.close();
  }
}

/** What is wrong with a figure's text: overlaps, text outside it, labels cut short. */
function textFaults(f: { boxes: Box[]; width: number; height: number }): string[] {
  const faults: string[] = [];
  const { boxes } = f;
  boxes.forEach((a, i) => {
    if (a.x < 0 || a.y < 0 || a.x + a.w > f.width || a.y + a.h > f.height)
      faults.push(`"${a.text}" leaves the figure`);
    if (a.text.includes('…')) faults.push(`"${a.text}" is cut`);
    for (const b of boxes.slice(i + 1)) {
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      // Half a pixel: anti-aliasing, not a collision.
      if (dx > 0.5 && dy > 0.5) faults.push(`"${a.text}" overlaps "${b.text}"`);
    }
  });
  return faults;
}

const ids = () => runs.map((r) => r.id);

describe('mchair report --figure', () => {
  it('finds overlapping, escaping and cut text (the check this suite relies on)', async () => {
    const bad = await textBoxes(
      '<svg viewBox="0 0 200 60" width="200" height="60"><text x="10" y="20">alexnet-mc</text><text x="30" y="24">vgg16</text><text x="180" y="50">paper-11</text><text x="10" y="50">alexn…</text></svg>',
    );
    expect(textFaults(bad)).toEqual([
      '"alexnet-mc" overlaps "vgg16"',
      '"paper-11" leaves the figure',
      '"alexn…" is cut',
    ]);
  });

  for (const figure of ['ips', 'energy', 'energy-split'] as const)
    it(`draws ${figure} with every label whole, apart and inside`, async () => {
      const r = await mchair('report', ...ids(), '--figure', figure, '--format', 'svg');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const f = await textBoxes(r.stdout);
      expect(textFaults(f)).toEqual([]);
      const texts = f.boxes.map((b) => b.text);
      // The long names are whole: the model on one line, the farm and plan over wrapped lines.
      expect(texts).toContain(MODEL);
      const labels = texts.join(' ');
      for (const word of [PROFILE, ORIGIN]) expect(labels.replace(/- /g, '-')).toContain(word);
      // The source mark once per run of like columns: ours (emulated) and the paper's, per model.
      expect(texts.filter((t) => t === 'emulated here')).toHaveLength(2);
      expect(texts.filter((t) => t === "paper (ReQuEST'18)")).toHaveLength(2);
      // The repeated configuration is one column with error bars over its three runs.
      expect(texts.some((t) => t.includes('3\u00a0runs'))).toBe(true);
      expect(texts).toContain('error bars: minimum to maximum of the repeated runs');
      const errorBars = r.stdout.match(/class="errorbar"/g) ?? [];
      expect(errorBars).toHaveLength(figure === 'energy-split' ? 2 : 1);
      if (figure === 'ips') {
        const lo = Number(/class="errorbar" data-low="([\d.]+)"/.exec(r.stdout)![1]);
        const hi = Number(
          /class="errorbar" data-low="[\d.]+" data-high="([\d.]+)"/.exec(r.stdout)![1],
        );
        expect([lo, hi]).toEqual([3, 4.1]);
      }
    });

  it('writes a PNG at the DPI asked for and a vector PDF the figure’s size', async () => {
    const svg = (await mchair('report', ...ids(), '--figure', 'energy-split')).stdout;
    const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number) as [0, number, number];

    const png = join(outDir, 'energy-split.png');
    const r = await mchair(
      'report',
      ...ids(),
      '--figure',
      'energy-split',
      '--out',
      png,
      '--dpi',
      '200',
    );
    expect(r.code).toBe(0);
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(Math.round((w * 200) / 96));
    expect(bytes.readUInt32BE(20)).toBe(Math.round((h * 200) / 96));
    // pHYs: pixels per metre for 200 DPI.
    const phys = bytes.indexOf('pHYs');
    expect(phys).toBeGreaterThan(0);
    expect(bytes.readUInt32BE(phys + 4)).toBe(Math.round(200 / 0.0254));

    const pdf = join(outDir, 'energy-split.pdf');
    expect((await mchair('report', ...ids(), '--figure', 'energy-split', '--out', pdf)).code).toBe(
      0,
    );
    const text = (await exec('pdftotext', ['-layout', pdf, '-'])).stdout;
    expect(text).toContain(MODEL);
    expect(text).toContain("paper (ReQuEST'18)");
    expect(text).toContain('static (idle W / IPS)');
    const info = (await exec('pdfinfo', [pdf])).stdout;
    expect(info).toMatch(/^Pages:\s+1$/m);
    // CSS pixels to points (72/96), which Chromium rounds to whole points.
    const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info)!;
    expect(Math.abs(Number(size[1]) - w * 0.75)).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(size[2]) - h * 0.75)).toBeLessThanOrEqual(1);
    // Vector: no raster image in it.
    const images = (await exec('pdfimages', ['-list', pdf])).stdout.trim().split('\n');
    expect(images).toHaveLength(2);
  });

  it('refuses a figure, format or DPI it does not know, in one line, as wrong usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--figure', 'latency'],
        /argument 'latency' is invalid\. Allowed choices are ips, energy, energy-split/,
      ],
      [
        ['--figure', 'ips', '--format', 'csv'],
        /--format: a figure is written as svg, png, pdf, not csv/,
      ],
      [['--figure', 'ips', '--format', 'docx'], /argument 'docx' is invalid/],
      [
        ['--figure', 'ips', '--format', 'png', '--dpi', '20', '--out', 'x.png'],
        /--dpi.*from 50 to 2400/,
      ],
      [['--figure', 'ips', '--dpi', '300'], /--dpi: only a png figure has one/],
      [
        ['--format', 'png', '--out', 'x.png'],
        /--format png: add --figure ips\|energy\|energy-split/,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = await mchair('report', runs[0]!.id, ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
