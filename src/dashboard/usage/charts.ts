/**
 * Charts on uPlot (canvas; draws a year of daily points per series in a few milliseconds — the
 * benchmark measures it). Bars are drawn with uPlot's bar path builder; a stacked chart draws
 * cumulative values, top of the stack first, and its legend shows each series' own value.
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

const bars = uPlot.paths.bars!;

/** Draw a bar chart into `container` (replacing what was there); returns the uPlot instance. */
export function barChart(container: HTMLElement, opts: BarChartOptions): uPlot {
  container.replaceChildren();
  const n = opts.labels.length;
  const xs = Array.from({ length: n }, (_, i) => i);
  const own = opts.series.map((s) => s.values.map((v) => v ?? 0));
  let drawn: Array<Array<number | null>>;
  let order = opts.series.map((_, i) => i);
  if (opts.stacked) {
    const cum = own.map(() => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      let acc = 0;
      own.forEach((vals, si) => {
        acc += vals[i]!;
        cum[si]![i] = acc;
      });
    }
    // Top of the stack first: each lower segment is drawn over the taller bar behind it.
    order = order.slice().reverse();
    drawn = order.map((si) => cum[si]!);
  } else {
    drawn = order.map((si) => opts.series[si]!.values);
  }
  const series: uPlot.Series[] = [
    { label: 'x', value: (_u, v) => (v === null || v === undefined ? '' : opts.labels[v] ?? '') },
    ...order.map((si) => {
      const s = opts.series[si]!;
      const color = PALETTE[si % PALETTE.length]!;
      return {
        label: s.label,
        stroke: color,
        fill: color,
        width: 0,
        paths: bars({ size: [0.8, Infinity], align: 0 }),
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
