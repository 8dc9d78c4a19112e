/**
 * Charts on uPlot (canvas). Bars are drawn by `barPaths` below, one rectangle per value; a
 * stacked chart draws each series' segment from the top of the one below it to the cumulative
 * value, and its legend shows each series' own value. scripts/bench/history.ts (section 3)
 * measures a year of daily data for 8 series until its pixels exist.
 */
import './locale-guard.js'; // must run before uPlot's module body
import uPlot from 'uplot';

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export interface BarSeries {
  label: string;
  values: Array<number | null>;
  /** Legend formatter for this series' own value. */
  format?: (v: number | null) => string;
}

export interface BarChartOptions {
  title: string;
  /** Category labels (x axis), one per point. */
  labels: string[];
  series: BarSeries[];
  /** Several series are stacked; without it, give one series (no grouped bars). */
  stacked?: boolean;
  width: number;
  height?: number;
  /** Y axis value formatter. */
  yFormat?: (v: number) => string;
}

/** Share of a column a bar fills (the rest is the gap between bars). */
const BAR_SIZE = 0.8;

/**
 * Bars centred on their x index, filling BAR_SIZE of the column, from `base[i]` (0 without a
 * base) up to `top[i]`; null or empty values draw nothing.
 *
 * Why not uPlot's own bar builder: it draws every bar from 0, so a stack of 8 series paints
 * each column 8 times over, and for narrow bars (a gap under 5 px) it keeps every edge at a
 * fractional pixel. Chromium's software rasterizer fills such anti-aliased, overlapping
 * rectangles slowly: a year of daily bars for 8 series took p50 ~210 ms, p99 ~300 ms until its
 * pixels existed, and p50 8 ms, p99 18 ms drawn as stacked segments with whole-pixel top and
 * bottom edges (`npx tsx scripts/bench/history.ts --only-charts`, docs/benchmarks.md). The x
 * edges stay fractional for narrow bars, as uPlot's, so the gaps stay even; wide bars are
 * snapped to whole pixels, as uPlot does when the gap is 5 px or more.
 */
function barPaths(top: ReadonlyArray<number | null>, base: readonly number[] | null): uPlot.Series.PathBuilder {
  return (u, _seriesIdx, idx0, idx1) => {
    const fill = new Path2D();
    const x0 = u.valToPos(0, 'x', true);
    const column = Math.abs(u.valToPos(1, 'x', true) - x0);
    const snap = column * (1 - BAR_SIZE) >= 5;
    const width = snap ? Math.round(column * BAR_SIZE) : column * BAR_SIZE;
    for (let i = idx0; i <= idx1; i++) {
      const v = top[i];
      if (v === null || v === undefined) continue;
      const yTop = Math.round(u.valToPos(v, 'y', true));
      const yBase = Math.round(u.valToPos(base ? base[i]! : 0, 'y', true));
      if (yBase <= yTop) continue;
      const left = u.valToPos(i, 'x', true) - width / 2;
      fill.rect(snap ? Math.round(left) : left, yTop, width, yBase - yTop);
    }
    return { stroke: null, fill, clip: null, band: null, flags: 0 };
  };
}

/** Draw a bar chart into `container` (replacing what was there); returns the uPlot instance. */
export function barChart(container: HTMLElement, opts: BarChartOptions): uPlot {
  container.replaceChildren();
  const n = opts.labels.length;
  const xs = Array.from({ length: n }, (_, i) => i);
  const own = opts.series.map((s) => s.values.map((v) => v ?? 0));
  let drawn: Array<Array<number | null>>;
  let order = opts.series.map((_, i) => i);
  /** Per series (by its index in opts.series): the base its bars stand on, null for 0. */
  let bases: Array<number[] | null> = order.map(() => null);
  if (opts.stacked) {
    const cum = own.map(() => new Array<number>(n));
    for (let si = 0; si < own.length; si++) {
      const vals = own[si]!;
      const below = si > 0 ? cum[si - 1]! : null;
      const c = cum[si]!;
      for (let i = 0; i < n; i++) c[i] = (below ? below[i]! : 0) + vals[i]!;
    }
    bases = order.map((si) => (si > 0 ? cum[si - 1]! : null));
    // Top of the stack first, so the legend lists the series in the order they are stacked on screen.
    order = order.slice().reverse();
    drawn = order.map((si) => cum[si]!);
  } else {
    drawn = order.map((si) => opts.series[si]!.values);
  }
  const series: uPlot.Series[] = [
    { label: 'x', value: (_u, v) => (v === null || v === undefined ? '' : opts.labels[v] ?? '') },
    ...order.map((si, pos) => {
      const s = opts.series[si]!;
      const color = PALETTE[si % PALETTE.length]!;
      return {
        label: s.label,
        stroke: color,
        fill: color,
        width: 0,
        paths: barPaths(drawn[pos]!, bases[si]!),
        value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => {
          if (idx === null || idx === undefined) return '–';
          const v = s.values[idx] ?? null;
          return s.format ? s.format(v) : v === null ? '–' : String(v);
        },
        points: { show: false },
      } satisfies uPlot.Series;
    }),
  ];
  const u = new uPlot(
    {
      title: opts.title,
      width: opts.width,
      height: opts.height ?? 220,
      scales: { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
      axes: [
        { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && v >= 0 && v < n ? opts.labels[v]! : '')) },
        { values: (_u, splits) => splits.map((v) => (opts.yFormat ? opts.yFormat(v) : String(v))), size: 70 },
      ],
      series,
      legend: { live: true },
      cursor: { points: { show: false } },
    },
    [xs, ...drawn] as uPlot.AlignedData,
    container,
  );
  return u;
}
