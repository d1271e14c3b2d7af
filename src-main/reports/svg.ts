// Charts as inline SVG: a report is one file that opens offline and prints to PDF exactly as it
// shows, with no script to run. Here: the run's timeline and the number helpers; the paper-style
// bar figures are figure/.

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round step (1, 2 or 5 times a power of ten) that splits `range` into about `count` parts. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

/** Round numbers for an axis from 0, covering 0..max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(max, count);
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Round numbers inside min..max (a time axis that starts before zero). */
export function spanTicks(min: number, max: number, count = 8): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, count);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function fmt(x: number, digits = 3): string {
  // Rounding leaves dust like -4e-16 where a difference is zero.
  if (Math.abs(x) < 1e-9) return '0';
  const a = Math.abs(x);
  // Number() drops trailing zeros: 7.1, not 7.10.
  return String(Number(a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toPrecision(digits)));
}

const W = 720;
const H = 300;
const M = { left: 64, right: 16, top: 34, bottom: 64 };

function legend(series: ReadonlyArray<{ name: string; color: string }>, y: number): string {
  // Each entry as wide as its name (about 6 px a character at 11 px) plus the swatch.
  let x = M.left;
  return series
    .map((s) => {
      const entry = `<rect x="${x}" y="${y}" width="12" height="12" fill="${s.color}"/><text x="${x + 18}" y="${y + 11}" class="legend">${esc(s.name)}</text>`;
      x += 18 + s.name.length * 6.2 + 24;
      return entry;
    })
    .join('');
}

export interface LineSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Which y axis: left (0) or right (1). */
  axis?: 0 | 1;
}

/** Lines over time with up to two y axes (watts on the left, inferences/s on the right). */
export function lineChart(opts: {
  id: string;
  title: string;
  xLabel: string;
  yLabels: [string, string?];
  series: readonly LineSeries[];
}): string {
  const plotW = W - M.left - 56;
  const plotH = H - M.top - M.bottom;
  const xs = opts.series.flatMap((s) => s.points.map((p) => p[0]));
  const xMax = Math.max(1e-9, ...xs);
  const xMin = Math.min(0, ...xs);
  const yTicks = [0, 1].map((a) =>
    niceTicks(
      Math.max(
        0,
        ...opts.series.filter((s) => (s.axis ?? 0) === a).flatMap((s) => s.points.map((p) => p[1])),
      ),
    ),
  );
  const xTicks = spanTicks(xMin, xMax);
  const X = (x: number): number => M.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const Y = (v: number, a: 0 | 1): number => {
    const t = yTicks[a] as number[];
    return M.top + plotH - (v / (t[t.length - 1] as number)) * plotH;
  };
  const parts: string[] = [`<text x="${M.left}" y="18" class="title">${esc(opts.title)}</text>`];
  for (const t of yTicks[0] as number[])
    parts.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${Y(t, 0)}" y2="${Y(t, 0)}" class="grid"/><text x="${M.left - 6}" y="${Y(t, 0) + 4}" class="tick" text-anchor="end">${fmt(t)}</text>`,
    );
  if (opts.yLabels[1])
    for (const t of yTicks[1] as number[])
      parts.push(
        `<text x="${M.left + plotW + 6}" y="${Y(t, 1) + 4}" class="tick">${fmt(t)}</text>`,
      );
  for (const t of xTicks)
    parts.push(
      `<text x="${X(t)}" y="${M.top + plotH + 16}" class="tick" text-anchor="middle">${fmt(t)}</text>`,
    );
  parts.push(
    `<text x="${M.left + plotW / 2}" y="${M.top + plotH + 34}" class="axis" text-anchor="middle">${esc(opts.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${M.top + plotH / 2}" class="axis" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(opts.yLabels[0])}</text>`,
  );
  if (opts.yLabels[1])
    parts.push(
      `<text x="${W - 8}" y="${M.top + plotH / 2}" class="axis" transform="rotate(90 ${W - 8} ${M.top + plotH / 2})" text-anchor="middle">${esc(opts.yLabels[1])}</text>`,
    );
  for (const s of opts.series) {
    const a = s.axis ?? 0;
    const d = s.points
      .map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1], a).toFixed(1)}`)
      .join('');
    parts.push(
      `<path class="line" data-series="${esc(s.name)}" data-points="${s.points.length}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`,
    );
  }
  parts.push(legend(opts.series, H - 18));
  return `<svg class="chart" data-chart="${esc(opts.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">${parts.join('')}</svg>`;
}
