/**
 * The usage panels as one self-contained module: `mountUsage(container, api)` draws the daily
 * chart (by agent and model; tokens or cost; 30 days or a year), tool statistics, the session
 * tree with subagents and costs, the selected session's usage, and the pricing editor.
 * `follow(id)` selects a session from outside (the dashboard's own session list).
 */
import type uPlot from 'uplot';
import type { DailySeries, UsageApi } from './api.js';
import { barChart } from './charts.js';
import { el, money, PRICE_NOTE, tokens, usd } from './format.js';
import { mountPricingEditor } from './pricing-editor.js';
import { mountSessionUsage } from './session-panel.js';
import { renderTools } from './tools.js';
import { renderTree } from './tree.js';

export interface UsageView {
  select(id: string | null): Promise<void>;
  refresh(): Promise<void>;
  /** The charts on screen (tests read their data through the DOM; this is for diagnostics). */
  charts(): Record<string, uPlot | null>;
}

function seriesLabel(s: DailySeries): string {
  return `${s.harness === 'codex' ? 'Codex' : 'Claude'} · ${s.model ?? 'unknown model'}`;
}

export function mountUsage(container: HTMLElement, api: UsageApi, onOpen?: (id: string) => void): UsageView {
  const root = el('section', 'usage-panel');
  root.setAttribute('aria-labelledby', 'usage-h');
  const h = el('h2', undefined, 'Usage & cost');
  h.id = 'usage-h';
  root.append(h, el('p', 'usage-note', `Costs are an ${PRICE_NOTE}.`));

  const controls = el('div', 'usage-controls');
  const range = el('select', 'usage-range');
  range.setAttribute('aria-label', 'days shown');
  for (const [v, t] of [['30', 'Last 30 days'], ['365', 'Last year']] as const) {
    const o = el('option', undefined, t);
    o.value = v;
    range.append(o);
  }
  const metric = el('select', 'usage-metric');
  metric.setAttribute('aria-label', 'daily metric');
  for (const [v, t] of [['tokens', 'Tokens'], ['cost', 'Cost']] as const) {
    const o = el('option', undefined, t);
    o.value = v;
    metric.append(o);
  }
  controls.append(range, metric);
  const daily = el('div', 'usage-chart usage-daily');
  const toolsBox = el('div', 'usage-tools-all');
  const cols = el('div', 'usage-columns');
  const treeBox = el('div', 'usage-tree-box');
  const sessionBox = el('div', 'usage-session');
  cols.append(treeBox, sessionBox);
  const pricingBox = el('details', 'usage-pricing-box');
  pricingBox.append(el('summary', undefined, 'Pricing table (editable)'));
  const pricingInner = el('div');
  pricingBox.append(pricingInner);
  root.append(controls, daily, el('h3', undefined, 'Tool calls'), toolsBox, el('h3', undefined, 'Sessions and subagents'), cols, pricingBox);
  container.append(root);

  let selected: string | null = null;
  const expanded = new Set<string>();
  let dailyChart: uPlot | null = null;
  let toolsChart: uPlot | null = null;
  const width = (): number => Math.max(320, Math.min(1100, (root.clientWidth || 800) - 16));

  const session = mountSessionUsage(sessionBox, api, (id) => void select(id), onOpen);
  const pricing = mountPricingEditor(pricingInner, api, () => void refresh());

  async function drawDaily(): Promise<void> {
    const days = Number(range.value);
    const d = await api.daily(days);
    const byCost = metric.value === 'cost';
    dailyChart?.destroy();
    dailyChart = null;
    if (!d.series.length) {
      daily.replaceChildren(el('p', 'usage-muted', 'No usage in this period.'));
      return;
    }
    dailyChart = barChart(daily, {
      title: byCost ? `Cost per day (${PRICE_NOTE})` : 'Tokens per day',
      labels: d.days.map((x) => x.slice(5)),
      width: width(),
      stacked: true,
      yFormat: byCost ? usd : tokens,
      series: d.series.map((s) => ({
        label: seriesLabel(s),
        values: byCost ? s.cost : s.tokens,
        format: byCost ? (v: number | null) => money(v) : (v: number | null) => tokens(v ?? 0),
      })),
    });
  }

  async function drawLists(): Promise<void> {
    const [{ sessions }, { tools }] = await Promise.all([api.sessions(), api.tools(null)]);
    toolsChart?.destroy();
    toolsChart = renderTools(toolsBox, tools, width());
    renderTree(treeBox, sessions, { onSelect: (id) => void select(id), selectedId: selected, expanded });
  }

  async function select(id: string | null): Promise<void> {
    selected = id;
    treeBox.querySelectorAll('.usage-row.selected').forEach((r) => r.classList.remove('selected'));
    if (id) treeBox.querySelector(`li[data-id="${CSS.escape(id)}"] > .usage-row`)?.classList.add('selected');
    await session.show(id);
  }

  async function refresh(): Promise<void> {
    await Promise.all([drawDaily(), drawLists()]);
    await session.show(selected);
  }

  range.addEventListener('change', () => void drawDaily());
  metric.addEventListener('change', () => void drawDaily());
  void pricing.refresh();
  return {
    select,
    refresh,
    charts: () => ({ daily: dailyChart, tools: toolsChart, turnTokens: session.charts()[0] ?? null, turnCost: session.charts()[1] ?? null }),
  };
}
