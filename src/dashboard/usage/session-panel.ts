/**
 * One session's usage: own and rolled-up totals with cost, per model, tokens and cost per turn
 * (charts), the context gauge, Codex rate-limit windows, its subagents and its tool calls.
 */
import type uPlot from 'uplot';
import type { UsageApi } from './api.js';
import { barChart } from './charts.js';
import { costBadge, el, money, PRICE_NOTE, sessionTitle, tokens, usd } from './format.js';
import { contextGauge, rateLimitGauges } from './gauges.js';
import { renderTree } from './tree.js';
import { renderTools } from './tools.js';

export interface SessionPanel {
  show(id: string | null): Promise<void>;
  charts(): uPlot[];
}

/** `onOpen`: open the session in the dashboard's own view (a button next to the title). */
export function mountSessionUsage(container: HTMLElement, api: UsageApi, onSelect: (id: string) => void, onOpen?: (id: string) => void): SessionPanel {
  let charts: uPlot[] = [];
  let current: string | null = null;
  const show = async (id: string | null): Promise<void> => {
    current = id;
    for (const c of charts) c.destroy();
    charts = [];
    if (!id) {
      container.replaceChildren(el('p', 'usage-muted', 'Select a session to see its usage.'));
      return;
    }
    const [d, tools] = await Promise.all([api.session(id), api.tools(id)]);
    if (current !== id) return; // a newer selection won
    const s = d.session;
    if (!s) {
      container.replaceChildren(el('p', 'usage-muted', 'No usage recorded for this session.'));
      return;
    }
    const width = Math.max(320, Math.min(900, (container.clientWidth || 640) - 8));
    const head = el('div', 'usage-session-head');
    head.append(el('h3', undefined, sessionTitle(s)));
    if (onOpen) {
      const open = el('button', 'usage-open-session ghost', 'Open timeline');
      open.type = 'button';
      open.addEventListener('click', () => onOpen(s.id));
      head.append(open);
    }
    const totals = el('p', 'usage-totals');
    totals.append(`Own: ${tokens(s.own.tokens.total)} tokens `, costBadge(s.own.cost, s.own.unpricedTokens));
    if (s.children.length) totals.append(` · with ${d.descendants.length} subagent${d.descendants.length > 1 ? 's' : ''}: ${tokens(s.total.tokens.total)} tokens `, costBadge(s.total.cost, s.total.unpricedTokens));
    head.append(totals, el('p', 'usage-note', PRICE_NOTE));

    const models = el('table', 'usage-models');
    const hr = el('tr');
    for (const h of ['Model', 'Input', 'Output', 'Reasoning', 'Cache read', 'Cache write', 'Cost']) hr.append(el('th', undefined, h));
    models.append(hr);
    for (const m of s.own.models) {
      const tr = el('tr');
      tr.dataset.model = m.model ?? '';
      for (const v of [m.model ?? '(unknown)', tokens(m.tokens.input), tokens(m.tokens.output), tokens(m.tokens.reasoning), tokens(m.tokens.cacheRead), tokens(m.tokens.cacheWrite)]) tr.append(el('td', undefined, v));
      const td = el('td');
      td.append(costBadge(m.cost, m.unpricedTokens));
      tr.append(td);
      models.append(tr);
    }

    const gauges = el('div', 'usage-gauges');
    gauges.append(contextGauge(d.gauge));
    const rl = rateLimitGauges(d.rateLimits);
    if (rl) gauges.append(rl);

    const turnTokens = el('div', 'usage-chart usage-turn-tokens');
    const turnCost = el('div', 'usage-chart usage-turn-cost');
    const kids = el('div', 'usage-subagents');
    const toolBox = el('div', 'usage-tools-session');
    container.replaceChildren(head, gauges, models, turnTokens, turnCost, kids, toolBox);

    const labels = d.turns.map((_, i) => `#${i + 1}`);
    if (d.turns.length) {
      charts.push(barChart(turnTokens, {
        title: 'Tokens per turn', labels, width, stacked: true, yFormat: tokens,
        series: [
          { label: 'input', values: d.turns.map((t) => t.tokens.input), format: (v) => tokens(v ?? 0) },
          { label: 'cache read', values: d.turns.map((t) => t.tokens.cacheRead), format: (v) => tokens(v ?? 0) },
          { label: 'cache write', values: d.turns.map((t) => t.tokens.cacheWrite), format: (v) => tokens(v ?? 0) },
          { label: 'output', values: d.turns.map((t) => t.tokens.output), format: (v) => tokens(v ?? 0) },
        ],
      }));
      charts.push(barChart(turnCost, {
        title: `Cost per turn (${PRICE_NOTE})`, labels, width, yFormat: usd,
        series: [{ label: 'cost', values: d.turns.map((t) => t.cost), format: (v) => money(v) }],
      }));
    } else {
      turnTokens.append(el('p', 'usage-muted', 'No turns with usage yet.'));
    }
    if (d.descendants.length) {
      kids.append(el('h4', undefined, 'Subagents'));
      const box = el('div');
      kids.append(box);
      renderTree(box, [s, ...d.descendants].map((x) => (x.id === s.id ? { ...x, parentId: null } : x)), { onSelect, selectedId: id, limit: 1 });
    }
    toolBox.append(el('h4', undefined, 'Tool calls in this session'));
    const tb = el('div');
    toolBox.append(tb);
    const tc = renderTools(tb, tools.tools, width);
    if (tc) charts.push(tc);
  };
  return { show, charts: () => charts };
}
