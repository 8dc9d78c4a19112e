/** Gauges: context-window use of the latest turn, Codex rate-limit windows. Accessible meters. */
import { el, tokens } from './format.js';

/** A horizontal meter (role="meter") with its numbers in words. */
export function meter(label: string, value: number, max: number, detail: string): HTMLElement {
  const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  const wrap = el('div', 'usage-gauge');
  const head = el('div', 'usage-gauge-head');
  head.append(el('span', 'usage-gauge-label', label), el('span', 'usage-gauge-value', `${pct.toFixed(pct < 10 ? 1 : 0)}%`));
  const bar = el('div', 'usage-gauge-bar');
  bar.setAttribute('role', 'meter');
  bar.setAttribute('aria-label', label);
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', String(max));
  bar.setAttribute('aria-valuenow', String(value));
  bar.dataset.percent = pct.toFixed(2);
  const fill = el('div', `usage-gauge-fill${pct >= 90 ? ' danger' : pct >= 70 ? ' warn' : ''}`);
  fill.style.width = `${pct}%`;
  bar.append(fill);
  wrap.append(head, bar, el('div', 'usage-gauge-detail', detail));
  return wrap;
}

export function contextGauge(g: { model: string | null; contextTokens: number | null; contextWindow: number | null }): HTMLElement {
  if (g.contextTokens === null) return el('p', 'usage-muted', 'Context window: no turn yet.');
  if (!g.contextWindow) return el('p', 'usage-muted', `Context: ${tokens(g.contextTokens)} tokens (window of ${g.model ?? 'this model'} unknown — add it in the pricing table).`);
  return meter('Context window (latest turn)', g.contextTokens, g.contextWindow, `${tokens(g.contextTokens)} of ${tokens(g.contextWindow)} tokens · ${g.model ?? ''}`);
}

interface Window {
  used_percent?: unknown;
  window_minutes?: unknown;
  resets_at?: unknown;
  resets_in_seconds?: unknown;
}

function windowName(minutes: number | null): string {
  if (!minutes) return 'window';
  if (minutes % 10080 === 0) return `${minutes / 10080}-week window`;
  if (minutes % 1440 === 0) return `${minutes / 1440}-day window`;
  if (minutes % 60 === 0) return `${minutes / 60}-hour window`;
  return `${minutes}-minute window`;
}

/** Codex rate-limit windows (`primary`, `secondary`) when the rollout carried them. */
export function rateLimitGauges(rateLimits: unknown): HTMLElement | null {
  if (typeof rateLimits !== 'object' || rateLimits === null) return null;
  const box = el('div', 'usage-rate-limits');
  for (const key of ['primary', 'secondary'] as const) {
    const w = (rateLimits as Record<string, unknown>)[key] as Window | null | undefined;
    if (!w || typeof w.used_percent !== 'number') continue;
    const minutes = typeof w.window_minutes === 'number' ? w.window_minutes : null;
    const resetsAt = typeof w.resets_at === 'number' ? new Date(w.resets_at * 1000) : null;
    const detail = resetsAt ? `resets ${resetsAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` : typeof w.resets_in_seconds === 'number' ? `resets in ${Math.round(w.resets_in_seconds / 60)} min` : '';
    box.append(meter(`Codex rate limit · ${windowName(minutes)}`, w.used_percent, 100, detail));
  }
  return box.childElementCount ? box : null;
}
