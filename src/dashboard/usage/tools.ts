/** Tool calls by tool: a bar chart of calls and a table with failures, failure rate and time spent. */
import type uPlot from 'uplot';
import type { ToolStats } from './api.js';
import { barChart } from './charts.js';
import { el } from './format.js';

function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms} ms`;
}

export function renderTools(container: HTMLElement, tools: ToolStats[], width: number): uPlot | null {
  container.replaceChildren();
  if (!tools.length) {
    container.append(el('p', 'usage-muted', 'No tool calls.'));
    return null;
  }
  const chartBox = el('div', 'usage-chart usage-tools-chart');
  const table = el('table', 'usage-tools');
  const hr = el('tr');
  for (const h of ['Tool', 'Calls', 'Failed', 'Failure rate', 'Time spent', 'Average']) hr.append(el('th', undefined, h));
  table.append(hr);
  for (const t of tools) {
    const tr = el('tr');
    tr.dataset.tool = t.tool;
    for (const v of [t.tool, String(t.calls), String(t.failures), `${(t.failureRate * 100).toFixed(0)}%`, duration(t.totalMs), duration(t.avgMs)]) tr.append(el('td', undefined, v));
    table.append(tr);
  }
  container.append(chartBox, table);
  return barChart(chartBox, {
    title: 'Tool calls by tool', labels: tools.map((t) => t.tool), width,
    series: [{ label: 'calls', values: tools.map((t) => t.calls), format: (v) => String(v ?? 0) }],
  });
}
