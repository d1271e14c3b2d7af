// What a paper-style bar figure shows, before any layout: groups (one per model) of columns (one
// per farm and plan, ours or the paper's), each column a bar per series, a repeated column with
// the spread of its runs. figures.ts builds these from runs; bars.ts lays them out and draws them.
import type { ErrorBars } from '../../contract/figure';
import type { Spread } from '../../contract/report';

/** Where a column's numbers come from: this lab's instruments, device emulation, or the paper. */
export type ColumnSource = 'measured' | 'emulated' | 'paper';

export interface ColumnValue {
  /** The figure (a repeated column's mean). */
  value: number;
  /** Over a repeated column's runs; null for one run or a published figure. */
  spread: Spread | null;
}

export interface FigureColumn {
  /** Farm and plan (and runs, when repeated), wrapped under the column. */
  label: string;
  source: ColumnSource;
  /** By series key; null where the column has no such figure. */
  values: Readonly<Record<string, ColumnValue | null>>;
}

export interface FigureGroup {
  /** The model, printed once under its columns. */
  title: string;
  columns: readonly FigureColumn[];
}

export interface FigureSeries {
  key: string;
  name: string;
  color: string;
}

export { ERROR_BARS, type ErrorBars } from '../../contract/figure';

export interface BarFigureSpec {
  /** The figure's id (ips, energy, energy-split): data-chart on the SVG. */
  id: string;
  title: string;
  /** The y axis's quantity with its unit: "inferences per second (IPS)". */
  axisTitle: string;
  series: readonly FigureSeries[];
  groups: readonly FigureGroup[];
  errorBars: ErrorBars;
}
