// The paper-style bar figure, laid out from measured text: every label gets the room its words
// need (columns, then each source's bracket, then each model's group widen to fit their text),
// so nothing is cut or drawn over anything else. Bars group by model, each model a panel with its
// own y scale, then by farm and plan;
// the emulated/measured/paper mark is drawn once under each run of like columns; repeated
// columns carry error bars, and the legend says which kind. Pure string building: the same code
// draws the HTML report, the Reports view and `mchair report --figure`.
import { esc, fmt, niceTicks } from '../svg';
import type {
  BarFigureSpec,
  ColumnSource,
  ColumnValue,
  FigureColumn,
  FigureGroup,
  FigureSeries,
} from './spec';
import { FIGURE_FONT, lineHeight, textWidth, widestWord, wrap, type TextStyle } from './text';

const STYLE = {
  title: { size: 14, bold: true },
  axis: { size: 12 },
  tick: { size: 11 },
  label: { size: 11 },
  mark: { size: 11 },
  group: { size: 12, bold: true },
  legend: { size: 11 },
} satisfies Record<string, TextStyle>;

// DejaVu Sans's ascent and descent, as shares of the font size: where a line's box starts and ends.
const ASCENT = 0.93;
const DESCENT = 0.24;
const boxHeight = (s: TextStyle): number => (ASCENT + DESCENT) * s.size;

const PAD = 12;
const BAR_W = 16;
const BAR_GAP = 2;
/** Room either side of a column's bars and label: adjacent labels stay two of these apart. */
const COL_PAD = 6;
/** The widest a column grows for its label before the label wraps further. */
const COL_MAX = 150;
/** A label up to this wide stays on one line ("TX2 GPU", "6x pi3"). */
const SHORT_LABEL = 64;
const GROUP_GAP = 28;
const PLOT_H = 220;
const MIN_W = 480;

export const SOURCE_MARK: Record<ColumnSource, { text: string; color: string }> = {
  measured: { text: 'measured here', color: '#2f6b2f' },
  emulated: { text: 'emulated here', color: '#b86e00' },
  paper: { text: "paper (ReQuEST'18)", color: '#555' },
};

/** An SVG text element, one line. */
function text(
  x: number,
  baseline: number,
  s: string,
  style: TextStyle,
  extra: { anchor?: 'start' | 'middle' | 'end'; fill?: string; cls?: string; rotate?: number } = {},
): string {
  const attrs = [
    extra.cls ? `class="${extra.cls}"` : '',
    `x="${x.toFixed(1)}"`,
    `y="${baseline.toFixed(1)}"`,
    `font-size="${style.size}"`,
    style.bold ? 'font-weight="bold"' : '',
    extra.anchor && extra.anchor !== 'start' ? `text-anchor="${extra.anchor}"` : '',
    `fill="${extra.fill ?? '#222'}"`,
    extra.rotate
      ? `transform="rotate(${extra.rotate} ${x.toFixed(1)} ${baseline.toFixed(1)})"`
      : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${esc(s)}</text>`;
}

/** Lines stacked from `top`, each line's box below the last. */
function lines(
  x: number,
  top: number,
  ls: readonly string[],
  style: TextStyle,
  extra: Parameters<typeof text>[4] = {},
): string {
  return ls
    .map((l, i) => text(x, top + ASCENT * style.size + i * lineHeight(style), l, style, extra))
    .join('');
}
const linesHeight = (n: number, style: TextStyle): number =>
  n === 0 ? 0 : (n - 1) * lineHeight(style) + boxHeight(style);

/** How wide a column's label may be: a short one on one line, a long one over about three. */
function labelRoom(label: string): number {
  const whole = textWidth(label, STYLE.label);
  return Math.min(
    COL_MAX - 2 * COL_PAD,
    Math.max(widestWord(label, STYLE.label), Math.min(whole, SHORT_LABEL), whole / 3),
  );
}

interface ColumnLayout {
  column: FigureColumn;
  x: number;
  width: number;
  label: string[];
}

/** Widen `items` evenly so together they are at least `need` wide. */
function widen(items: ColumnLayout[], need: number): void {
  const have = items.reduce((s, c) => s + c.width, 0);
  if (have >= need) return;
  for (const c of items) c.width += (need - have) / items.length;
}

/** Runs of like columns (same source) in a group: each gets one mark. */
function sourceRuns(cols: ColumnLayout[]): ColumnLayout[][] {
  const runs: ColumnLayout[][] = [];
  for (const c of cols) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.column.source === c.column.source) last.push(c);
    else runs.push([c]);
  }
  return runs;
}

interface LegendEntry {
  swatch: (x: number, y: number) => string;
  text: string;
}

function legendEntries(spec: BarFigureSpec): LegendEntry[] {
  const swatch = (s: FigureSeries) => (x: number, y: number) =>
    `<rect x="${x}" y="${y}" width="12" height="12" fill="${s.color}"/>`;
  const entries: LegendEntry[] = spec.series.map((s) => ({ swatch: swatch(s), text: s.name }));
  const columns = spec.groups.flatMap((g) => g.columns);
  if (columns.some((c) => c.source === 'paper'))
    entries.push({
      swatch: (x, y) =>
        `<rect x="${x + 0.5}" y="${y + 0.5}" width="11" height="11" fill="#999" fill-opacity="0.35" stroke="#999"/>`,
      text: "pale bars: the paper's published figures",
    });
  if (columns.some((c) => Object.values(c.values).some((v) => v?.spread)))
    entries.push({
      swatch: (x, y) =>
        `<path d="M${x + 2},${y}h8M${x + 6},${y}v12M${x + 2},${y + 12}h8" stroke="#222" fill="none"/>`,
      text:
        spec.errorBars === 'range'
          ? 'error bars: minimum to maximum of the repeated runs'
          : 'error bars: mean ± one standard deviation of the repeated runs',
    });
  return entries;
}

/** The legend's entries in rows no wider than `width`; returns the SVG and its height. */
function legend(spec: BarFigureSpec, left: number, top: number, width: number) {
  const st = STYLE.legend;
  const parts: string[] = [];
  let x = left;
  let y = top;
  let rowH = 0;
  for (const e of legendEntries(spec)) {
    const ls = wrap(e.text, width - 18, st);
    const w = 18 + Math.max(...ls.map((l) => textWidth(l, st)));
    const h = Math.max(12, linesHeight(ls.length, st));
    if (x > left && x + w > left + width) {
      x = left;
      y += rowH + 6;
      rowH = 0;
    }
    parts.push(e.swatch(x, y + (boxHeight(st) - 12) / 2), lines(x + 18, y, ls, st));
    x += w + 18;
    rowH = Math.max(rowH, h);
  }
  return { svg: parts.join(''), height: y - top + rowH };
}

/** The error bar's ends for a repeated value, as the legend says. */
function errorEnds(spec: BarFigureSpec, v: ColumnValue): [number, number] | null {
  const s = v.spread;
  if (!s || s.n < 2) return null;
  return spec.errorBars === 'range' ? [s.min, s.max] : [s.mean - s.sd, s.mean + s.sd];
}

interface GroupLayout {
  title: string;
  cols: ColumnLayout[];
  /** The group's own y scale: its round ticks from 0, the last the panel's top. */
  ticks: number[];
  tickW: number;
  /** Where the group's panel (its y axis) starts. */
  axisX: number;
}

/** A group's y scale covers its every bar and every error bar's top. */
function groupTicks(spec: BarFigureSpec, g: FigureGroup): number[] {
  const highest = Math.max(
    0,
    ...g.columns.flatMap((c) =>
      Object.values(c.values).flatMap((v) => (v ? [v.value, ...(errorEnds(spec, v) ?? [])] : [])),
    ),
  );
  return niceTicks(highest);
}

/**
 * Widths, from the inside out: a column fits its bars and its label's longest word (wrapping the
 * rest), a run of like columns fits its mark, a group fits its model's name.
 */
function groupWidths(spec: BarFigureSpec, barsW: number): GroupLayout[] {
  return spec.groups.map((g) => {
    const cols: ColumnLayout[] = g.columns.map((column) => ({
      column,
      x: 0,
      label: [],
      width: Math.max(barsW, labelRoom(column.label)) + 2 * COL_PAD,
    }));
    for (const run of sourceRuns(cols))
      widen(run, textWidth(SOURCE_MARK[run[0]!.column.source].text, STYLE.mark) + 2 * COL_PAD);
    widen(cols, textWidth(g.title, STYLE.group) + 2 * COL_PAD);
    const ticks = groupTicks(spec, g);
    const tickW = Math.max(...ticks.map((t) => textWidth(fmt(t), STYLE.tick)));
    return { title: g.title, cols, ticks, tickW, axisX: 0 };
  });
}

/** A group's y: its value's height in the panel from `top` to `bottom`. */
function scaleOf(g: GroupLayout, top: number, bottom: number): (v: number) => number {
  const highest = g.ticks[g.ticks.length - 1] as number;
  return (v) => bottom - (Math.max(0, v) / highest) * (bottom - top);
}

/**
 * Each group's panel: its own y axis (VGG16's joules are ten times AlexNet's, and on one scale
 * AlexNet's bars would vanish), grid, bars (pale for the paper's) and error bars.
 */
function drawPanels(
  spec: BarFigureSpec,
  groups: readonly GroupLayout[],
  barsW: number,
  top: number,
  bottom: number,
): string[] {
  const parts: string[] = [];
  // A tick label's box centred on its line.
  const tickBaseline = (ASCENT - (ASCENT + DESCENT) / 2) * STYLE.tick.size;
  for (const g of groups) {
    const Y = scaleOf(g, top, bottom);
    const last = g.cols[g.cols.length - 1]!;
    const right = last.x + last.width + GROUP_GAP / 2;
    for (const t of g.ticks)
      parts.push(
        `<line class="grid" x1="${g.axisX}" x2="${right.toFixed(1)}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#e6e6e6"/>`,
        text(g.axisX - 6, Y(t) + tickBaseline, fmt(t), STYLE.tick, {
          anchor: 'end',
          cls: 'tick',
          fill: '#444',
        }),
      );
    parts.push(
      `<line class="axisline" x1="${g.axisX}" x2="${right.toFixed(1)}" y1="${bottom}" y2="${bottom}" stroke="#888"/>`,
      `<line class="axisline" x1="${g.axisX}" x2="${g.axisX}" y1="${top}" y2="${bottom}" stroke="#888"/>`,
    );
    for (const c of g.cols) {
      const x0 = c.x + (c.width - barsW) / 2;
      const paper = c.column.source === 'paper';
      spec.series.forEach((s, i) => {
        const v = c.column.values[s.key];
        if (!v) return;
        const bx = x0 + i * (BAR_W + BAR_GAP);
        const h = bottom - Y(v.value);
        parts.push(
          `<rect class="bar" data-group="${esc(g.title)}" data-column="${esc(c.column.label)}" data-series="${esc(s.key)}" data-source="${c.column.source}" data-value="${v.value}" x="${bx.toFixed(1)}" y="${Y(v.value).toFixed(1)}" width="${BAR_W}" height="${h.toFixed(1)}" fill="${s.color}"${paper ? ` fill-opacity="0.35" stroke="${s.color}"` : ''}><title>${esc(`${g.title}, ${c.column.label}: ${s.name} ${fmt(v.value)}`)}</title></rect>`,
        );
        const ends = errorEnds(spec, v);
        if (ends) {
          const cx = bx + BAR_W / 2;
          const [lo, hi] = ends.map(Y) as [number, number];
          parts.push(
            `<path class="errorbar" data-low="${ends[0]}" data-high="${ends[1]}" d="M${cx - 4},${hi.toFixed(1)}h8M${cx},${hi.toFixed(1)}V${lo.toFixed(1)}M${cx - 4},${lo.toFixed(1)}h8" stroke="#222" stroke-width="1.2" fill="none"/>`,
          );
        }
      });
    }
  }
  return parts;
}

/** Under the axis from `top`: column labels, one mark per run of like columns, model names. */
function drawUnderAxis(
  groups: readonly GroupLayout[],
  top: number,
): { parts: string[]; bottom: number } {
  const parts: string[] = [];
  const allCols = groups.flatMap((g) => g.cols);
  let y = top;
  const labelRows = Math.max(0, ...allCols.map((c) => c.label.length));
  for (const c of allCols)
    parts.push(
      lines(c.x + c.width / 2, y, c.label, STYLE.label, { anchor: 'middle', cls: 'column' }),
    );
  y += linesHeight(labelRows, STYLE.label) + 6;
  for (const g of groups)
    for (const run of sourceRuns(g.cols)) {
      const from = run[0]!.x + 3;
      const to = run[run.length - 1]!.x + run[run.length - 1]!.width - 3;
      const mark = SOURCE_MARK[run[0]!.column.source];
      parts.push(
        `<path class="bracket" d="M${from.toFixed(1)},${y - 3}V${y}H${to.toFixed(1)}V${y - 3}" stroke="${mark.color}" fill="none"/>`,
        lines((from + to) / 2, y + 3, [mark.text], STYLE.mark, {
          anchor: 'middle',
          fill: mark.color,
          cls: `mark ${run[0]!.column.source}`,
        }),
      );
    }
  y += 3 + boxHeight(STYLE.mark) + 8;
  for (const g of groups) {
    const from = g.cols[0]!.x;
    const to = g.cols[g.cols.length - 1]!.x + g.cols[g.cols.length - 1]!.width;
    parts.push(
      lines((from + to) / 2, y, [g.title], STYLE.group, { anchor: 'middle', cls: 'group' }),
    );
  }
  return { parts, bottom: y + boxHeight(STYLE.group) };
}

export function barFigure(spec: BarFigureSpec): string {
  const series = spec.series;
  const barsW = series.length * BAR_W + (series.length - 1) * BAR_GAP;
  const groups = groupWidths(spec, barsW);
  const axisLines = wrap(spec.axisTitle, PLOT_H, STYLE.axis);
  const left = PAD + linesHeight(axisLines.length, STYLE.axis) + 8;

  // Across: the axis title, then each group's panel: its tick labels, its columns.
  const allCols = groups.flatMap((g) => g.cols);
  const overhead = groups.reduce((w, g) => w + g.tickW + 6 + GROUP_GAP, 0);
  const contentW = allCols.reduce((w, c) => w + c.width, 0);
  const width = Math.ceil(Math.max(MIN_W, left + overhead + contentW + PAD));
  // A figure with few columns spreads them over the minimum width.
  if (allCols.length) widen(allCols, width - left - overhead - PAD);
  let x = left;
  for (const g of groups) {
    g.axisX = x + g.tickW + 6;
    x = g.axisX + GROUP_GAP / 2;
    for (const c of g.cols) {
      c.x = x;
      c.label = wrap(c.column.label, c.width - 2 * COL_PAD, STYLE.label);
      x += c.width;
    }
    x += GROUP_GAP / 2;
  }

  const parts: string[] = [];
  // Down: title, legend, the panels, then what goes under the axis.
  let y = PAD;
  const titleLines = wrap(spec.title, width - 2 * PAD, STYLE.title);
  parts.push(lines(PAD, y, titleLines, STYLE.title, { cls: 'title' }));
  y += linesHeight(titleLines.length, STYLE.title) + 8;
  const leg = legend(spec, PAD, y, width - 2 * PAD);
  parts.push(`<g class="legend">${leg.svg}</g>`);
  y += leg.height + 14;

  const plotTop = y;
  const plotBottom = plotTop + PLOT_H;
  axisLines.forEach((l, i) => {
    const ax = PAD + ASCENT * STYLE.axis.size + i * lineHeight(STYLE.axis);
    parts.push(
      text(ax, plotTop + PLOT_H / 2, l, STYLE.axis, { anchor: 'middle', rotate: -90, cls: 'axis' }),
    );
  });
  parts.push(...drawPanels(spec, groups, barsW, plotTop, plotBottom));
  const under = drawUnderAxis(groups, plotBottom + 6);
  parts.push(...under.parts);
  const height = Math.ceil(under.bottom + PAD);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="figure chart" data-chart="${esc(spec.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}" font-family="'${FIGURE_FONT}', Verdana, sans-serif"><rect class="background" width="${width}" height="${height}" fill="#fff"/>${parts.join('')}</svg>`;
}
