// A page object for the lab's UI in Chromium: opens views through the navigation the way a user
// does, collects console errors, and reads what the live chart drew.
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

const CONTROL_ROLES = new Set([
  'button',
  'link',
  'textbox',
  'spinbutton',
  'combobox',
  'listbox',
  'checkbox',
  'radio',
  'slider',
  'switch',
  'tab',
  'menuitem',
  'searchbox',
  'image',
]);

export const VIEWS = ['Farm', 'Models', 'Plan', 'Run', 'Reports', 'Settings'] as const;

/** The part of a canvas the pixel check uses (this file is type-checked without the DOM library). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

export class LabPage {
  readonly consoleErrors: string[] = [];

  private constructor(readonly page: Page) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => this.consoleErrors.push(`uncaught: ${err.message}`));
    // Chromium's console line for a failed load omits the address; keep it beside the error.
    page.on('response', (res) => {
      if (res.status() >= 400) this.consoleErrors.push(`HTTP ${res.status()} for ${res.url()}`);
    });
  }

  static async open(browser: Browser, url: string): Promise<LabPage> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const lab = new LabPage(page);
    await page.goto(url);
    return lab;
  }

  /** Starts a virtual farm of `spec` (pi4:2) from the Farm view and waits for its `boards` to answer. */
  async startVirtualFarm(spec: string, boards: number): Promise<void> {
    await this.openView('Farm');
    await this.page.getByRole('textbox', { name: /Boards \(profile:count/ }).fill(spec);
    await this.page.getByRole('button', { name: 'Start virtual farm' }).click();
    await this.page
      .getByRole('status')
      .filter({ hasText: `${boards} of ${boards} emulated boards answering` })
      .waitFor({ timeout: 60_000 });
  }

  /**
   * Stops the virtual farm if one is up, from the Farm view, and waits until it is down: it
   * outlives serve by design, so a test (failed or not) must never leave its agents behind.
   */
  async stopVirtualFarm(): Promise<void> {
    const stop = this.page.getByRole('button', { name: 'Stop virtual farm' });
    if ((await stop.count()) === 0) await this.openView('Farm').catch(() => undefined);
    await stop.click({ timeout: 5000 }).catch(() => undefined);
    await this.page
      .getByRole('button', { name: 'Start virtual farm' })
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
  }

  async openView(view: (typeof VIEWS)[number]): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: view })
      .click();
    await this.page.getByRole('heading', { level: 1, name: view }).waitFor();
  }

  /**
   * Controls on the page that have no accessible name, as Chromium's accessibility tree computes
   * it (what a screen reader would announce).
   */
  async unnamedControls(): Promise<string[]> {
    const cdp = await this.page.context().newCDPSession(this.page);
    try {
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
        nodes: Array<{ ignored?: boolean; role?: { value?: unknown }; name?: { value?: unknown } }>;
      };
      return nodes
        .filter((n) => !n.ignored && CONTROL_ROLES.has(String(n.role?.value)))
        .filter((n) => String(n.name?.value ?? '').trim() === '')
        .map((n) => String(n.role?.value));
    } finally {
      await cdp.detach();
    }
  }

  /** Pixels of the chart's plot area painted in a line's colour (legend below excluded). */
  async chartInk(chart: string, rgb: readonly [number, number, number]): Promise<number> {
    return this.page.getByRole('img', { name: chart, exact: true }).evaluate((el, [r, g, b]) => {
      const canvas = el as unknown as CanvasLike;
      const ctx = canvas.getContext('2d');
      if (!ctx) return -1;
      const plotHeight = Math.floor(canvas.height * 0.7);
      const { data } = ctx.getImageData(0, 0, canvas.width, plotHeight);
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near =
          Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 60;
        if (near && data[i + 3]! > 200) ink++;
      }
      return ink;
    }, rgb);
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
