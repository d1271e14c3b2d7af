// The Run view's three live charts fed as a 12-device farm does at 10 Hz, with the rings already
// holding ten minutes of samples; live-charts.mjs drives it in Chromium and reads the figures.
import { createApp, h } from 'vue';
import LiveChart from '../../../src-renderer/components/LiveChart.vue';
import { MetricRing } from '../../../src-renderer/composables/metricRing';

const DEVICES = Array.from({ length: 12 }, (_, i) => `pi3-${i + 1}`);
const HZ = 10;
const CAPACITY = 6000;

// Time every animation-frame callback the charts schedule (LiveChart redraws in one), so the
// figures say what the charts cost, apart from the frames the busy machine delays.
const nativeFrame = window.requestAnimationFrame.bind(window);
const redrawMs: number[] = [];
window.requestAnimationFrame = (cb) =>
  nativeFrame((now) => {
    const started = performance.now();
    cb(now);
    redrawMs.push(performance.now() - started);
  });

const throughput = new MetricRing(CAPACITY);
const utilisation = new MetricRing(CAPACITY);
const latency = new MetricRing(CAPACITY);
let t = 0;

function sample(): void {
  t += 1 / HZ;
  const fps = DEVICES.map((d, i) => [d, 2 + Math.sin(t / 7 + i) + Math.random() * 0.2] as const);
  throughput.append(t, [['farm', fps.reduce((s, [, v]) => s + v, 0)], ...fps]);
  utilisation.append(
    t,
    DEVICES.map((d, i) => [d, 60 + 30 * Math.sin(t / 11 + i)] as const),
  );
  latency.append(t, [
    ['p50', 500 + 20 * Math.sin(t)],
    ['p95', 650 + 40 * Math.sin(t)],
  ]);
}

for (let i = 0; i < CAPACITY - 1; i++) sample();

createApp({
  render: () => [
    h(LiveChart, { ring: throughput, title: 'Throughput', yTitle: 'frames/s' }),
    h(LiveChart, { ring: utilisation, title: 'Utilisation', yTitle: '%' }),
    h(LiveChart, { ring: latency, title: 'Latency', yTitle: 'ms' }),
  ],
}).mount('#app');

interface Figures {
  samples: number;
  frames: number;
  frameMsP50: number;
  frameMsP95: number;
  frameMsMax: number;
  longTasks: number;
  longestTaskMs: number;
  heapGrowthMiB: number | null;
  redraws: number;
  redrawMsP50: number;
  redrawMsP95: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** Feeds samples at 10 Hz for `seconds` and measures the page's frames meanwhile. */
async function run(seconds: number): Promise<Figures> {
  // Chromium runs with --expose-gc: collect first, so growth is what the charts keep, not garbage.
  const collect = (): void => (window as unknown as { gc?: () => void }).gc?.();
  collect();
  const heap = () =>
    (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ??
    null;
  const heapBefore = heap();
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) =>
    list.getEntries().forEach((e) => tasks.push(e.duration)),
  );
  observer.observe({ entryTypes: ['longtask'] });
  const intervals: number[] = [];
  let last = performance.now();
  let stop = false;
  const frame = (now: number): void => {
    intervals.push(now - last);
    last = now;
    if (!stop) nativeFrame(frame);
  };
  nativeFrame(frame);
  redrawMs.length = 0;
  let samples = 0;
  const feeder = setInterval(() => {
    sample();
    samples++;
  }, 1000 / HZ);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(feeder);
  stop = true;
  observer.disconnect();
  collect();
  const heapAfter = heap();
  const sorted = intervals.slice(1).sort((a, b) => a - b);
  const redraws = [...redrawMs].sort((a, b) => a - b);
  return {
    samples,
    frames: sorted.length,
    frameMsP50: percentile(sorted, 0.5),
    frameMsP95: percentile(sorted, 0.95),
    frameMsMax: sorted[sorted.length - 1] ?? 0,
    longTasks: tasks.length,
    longestTaskMs: Math.max(0, ...tasks),
    heapGrowthMiB:
      heapBefore === null || heapAfter === null ? null : (heapAfter - heapBefore) / 2 ** 20,
    redraws: redraws.length,
    redrawMsP50: percentile(redraws, 0.5),
    redrawMsP95: percentile(redraws, 0.95),
  };
}

(window as unknown as { bench: { run: typeof run } }).bench = { run };
