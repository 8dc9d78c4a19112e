/** Number and money formatting shared by the usage panels. */
import type { SessionUsage } from './api.js';

export const PRICE_NOTE = 'API list-price estimate — not what a subscription costs';

export function tokens(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** "$1.23", "no price", or "$1.23 + unpriced" when part of the tokens has no rate. */
export function money(cost: number | null, unpricedTokens = 0): string {
  if (cost === null) return 'no price';
  const v = cost >= 100 ? cost.toFixed(0) : cost >= 1 ? cost.toFixed(2) : cost >= 0.01 ? cost.toFixed(3) : cost.toFixed(4);
  return unpricedTokens > 0 ? `$${v} + unpriced` : `$${v}`;
}

/** Axis label for a dollar amount: enough decimals to tell small ticks apart. */
export function usd(v: number): string {
  if (v === 0) return '$0';
  return `$${v < 0.01 ? v.toFixed(4) : v < 1 ? v.toFixed(3) : v.toFixed(2)}`;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A cost figure, always labelled as an estimate. */
export function costBadge(cost: number | null, unpriced: number): HTMLElement {
  const span = el('span', cost === null ? 'usage-cost usage-noprice' : 'usage-cost', money(cost, unpriced));
  span.title = PRICE_NOTE;
  span.setAttribute('aria-label', `${money(cost, unpriced)} (${PRICE_NOTE})`);
  return span;
}

export function sessionTitle(s: SessionUsage): string {
  const agent = s.harness === 'codex' ? 'Codex' : 'Claude';
  const name = s.name ?? (s.cwd ? s.cwd.split('/').filter(Boolean).pop() : null) ?? s.id.slice(0, 8);
  return s.parentId ? `↳ ${name}` : `${agent} · ${name}`;
}
