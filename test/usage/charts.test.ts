/**
 * The bar charts of src/dashboard/usage/charts.ts in headless Chromium, read back from the canvas
 * pixels: each stacked segment in its series' colour from the top of the segment below it up to
 * the cumulative value, the bar's painted height the stack's total, nothing on a day without a
 * value and nothing in the gaps between wide bars; for wide bars (snapped to whole pixels), a
 * year of narrow ones (fractional x edges) and a single unstacked series with gaps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../scripts/lib/browser.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Input {
  values: Array<Array<number | null>>;
  stacked: boolean;
  width: number;
  days: number[];
}

interface DayReading {
  day: number;
  /** Per series with a segment ≥ 4 px tall: the pixel in its middle and the colour it should be. */
  segments: Array<{ series: number; rgba: number[]; want: number[] }>;
  /** Opaque pixels in the column through the bar's centre, above the x axis. */
  painted: number;
  /** The stack's total in pixels, from the y scale. */
  expected: number;
  /** Opaque pixels in the column halfway to the next day (the gap between bars). */
  gap: number;
}

/** Draws the chart and reads back, at each of `days`, what is painted. */
async function readChart(page: Page, input: Input): Promise<DayReading[]> {
  return page.evaluate(async (inp) => {
    interface Chart {
      destroy(): void;
      ctx: CanvasRenderingContext2D;
      valToPos(v: number, scale: string, canvasPixels?: boolean): number;
    }
    const w = window as unknown as { UsageCharts: { PALETTE: string[]; barChart: (el: HTMLElement, o: unknown) => Chart } };
    const n = inp.values[0]!.length;
    const labels = Array.from({ length: n }, (_, i) => `d${i}`);
    const el = document.getElementById('c')!;
    const u = w.UsageCharts.barChart(el, { title: 't', labels, series: inp.values.map((values, s) => ({ label: `s${s}`, values })), stacked: inp.stacked, width: inp.width });
    await Promise.resolve(); // uPlot draws in a microtask after it is built
    const { width, height } = u.ctx.canvas;
    const img = u.ctx.getImageData(0, 0, width, height).data;
    const pixel = (x: number, y: number): number[] => {
      const o = (Math.round(y) * width + x) * 4;
      return [img[o]!, img[o + 1]!, img[o + 2]!, img[o + 3]!];
    };
    const zero = u.valToPos(0, 'y', true);
    const column = (x: number): number => {
      let k = 0;
      for (let y = 0; y < zero; y++) if (pixel(x, y)[3]! > 200) k++;
      return k;
    };
    const rgb = (hex: string): number[] => [1, 3, 5].map((o) => parseInt(hex.slice(o, o + 2), 16));
    const out = inp.days.map((day) => {
      // The column floor(centre)…floor(centre) + 1 lies wholly inside a bar ≥ 2 px wide centred on the day.
      const col = Math.floor(u.valToPos(day, 'x', true));
      let acc = 0;
      const segments: Array<{ series: number; rgba: number[]; want: number[] }> = [];
      inp.values.forEach((vals, s) => {
        const v = vals[day] ?? 0;
        const bottom = inp.stacked ? acc : 0;
        const top = inp.stacked ? acc + v : v;
        acc = inp.stacked ? top : Math.max(acc, v);
        const yTop = u.valToPos(top, 'y', true);
        const yBottom = u.valToPos(bottom, 'y', true);
        if (yBottom - yTop >= 4) segments.push({ series: s, rgba: pixel(col, (yTop + yBottom) / 2), want: rgb(w.UsageCharts.PALETTE[s]!) });
      });
      const gapX = Math.floor((u.valToPos(day, 'x', true) + u.valToPos(day + 1, 'x', true)) / 2);
      return { day, segments, painted: column(col), expected: Math.round(zero) - Math.round(u.valToPos(acc, 'y', true)), gap: column(gapX) };
    });
    u.destroy();
    return out;
  }, input);
}

function expectDrawn(readings: DayReading[], empty: number[]): void {
  for (const r of readings) {
    if (empty.includes(r.day)) {
      expect(r.painted, `day ${r.day} has no value`).toBe(0);
      continue;
    }
    expect(r.segments.length, `day ${r.day} has segments to check`).toBeGreaterThan(0);
    for (const s of r.segments) {
      expect(s.rgba[3], `day ${r.day}, series ${s.series}: opaque`).toBe(255);
      for (let k = 0; k < 3; k++) expect(Math.abs(s.rgba[k]! - s.want[k]!), `day ${r.day}, series ${s.series}: rgba(${s.rgba.join(',')}) vs rgb(${s.want.join(',')})`).toBeLessThanOrEqual(2);
    }
    expect(Math.abs(r.painted - r.expected), `day ${r.day}: ${r.painted} px painted, stack ${r.expected} px`).toBeLessThanOrEqual(1);
  }
}

describe('bar charts on the canvas', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const dir = tempDir('am-charts-');
    const bundle = path.join(dir, 'charts.js');
    await build({ entryPoints: [path.join(ROOT, 'src/dashboard/usage/charts.ts')], outfile: bundle, bundle: true, platform: 'browser', format: 'iife', globalName: 'UsageCharts', logLevel: 'silent' });
    const css = fs.readFileSync(path.join(ROOT, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
    ({ browser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.setContent(`<!doctype html><style>${css}</style><div id="c"></div><script>${fs.readFileSync(bundle, 'utf8')}</script>`);
    await page.evaluate('window.__name = (f) => f'); // esbuild's keepNames helper, if the transform adds it
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('wide stacked bars: each segment on the one below it, empty days and the gaps unpainted', async () => {
    const values = [
      [500, 0, null, 1200, 300, 0, 800, 50, 400, 0, 900, 100],
      [300, 0, null, 100, 600, 0, 0, 700, 400, 0, 200, 100],
      [200, 0, null, 700, 100, 0, 900, 20, 400, 0, 1000, 100],
    ];
    const days = values[0]!.map((_, i) => i);
    const readings = await readChart(page, { values, stacked: true, width: 800, days });
    expectDrawn(readings, [1, 2, 5, 9]);
    for (const r of readings) expect(r.gap, `between day ${r.day} and the next`).toBe(0);
  });

  test('a year of narrow stacked bars (fractional x edges)', async () => {
    const values = Array.from({ length: 3 }, (_, s) => Array.from({ length: 365 }, (_, i) => (i === 200 ? 0 : ((i * 7919 + s * 104_729) % 50_000) + 5000)));
    const readings = await readChart(page, { values, stacked: true, width: 1100, days: [0, 1, 90, 181, 200, 272, 363, 364] });
    expectDrawn(readings, [200]);
  });

  test('one unstacked series with gaps (null) and zeros', async () => {
    const values = [[3, null, 7, 0, 12, 5, null, 9]];
    const readings = await readChart(page, { values, stacked: false, width: 600, days: [0, 1, 2, 3, 4, 5, 6, 7] });
    expectDrawn(readings, [1, 3, 6]);
  });
});
