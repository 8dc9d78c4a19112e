/**
 * Typed client for the usage routes (docs/contracts.md "Usage API"). Browser code: the types
 * come from the sidecar's query module as types only (erased by the bundler).
 */
import type { DailySeries, SessionDetail, SessionUsage, ToolStats, TurnUsage } from '../../sidecar/usage/queries.js';
import type { PriceTable, Rates } from '../../sidecar/pricing/pricing.js';

export type { DailySeries, SessionDetail, SessionUsage, ToolStats, TurnUsage, PriceTable, Rates };

export interface UsageApi {
  sessions(): Promise<{ label: string; sessions: SessionUsage[] }>;
  session(id: string): Promise<SessionDetail>;
  daily(days: number): Promise<{ label: string; days: string[]; series: DailySeries[] }>;
  tools(sessionId?: string | null): Promise<{ tools: ToolStats[] }>;
  pricing(): Promise<PriceTable>;
  setPrice(model: string, rates: Omit<Rates, 'contextWindow'> & { contextWindow?: number | null }): Promise<PriceTable>;
  resetPrice(model: string): Promise<PriceTable>;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export function createUsageApi(base = ''): UsageApi {
  const q = encodeURIComponent;
  return {
    sessions: () => call(`${base}/api/usage/sessions`),
    session: (id) => call(`${base}/api/usage/session?id=${q(id)}`),
    daily: (days) => call(`${base}/api/usage/daily?days=${days}`),
    tools: (sessionId) => call(`${base}/api/usage/tools${sessionId ? `?session=${q(sessionId)}` : ''}`),
    pricing: () => call(`${base}/api/usage/pricing`),
    setPrice: async (model, rates) =>
      (await call<{ pricing: PriceTable }>(`${base}/api/usage/pricing`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model, rates }) })).pricing,
    resetPrice: async (model) => (await call<{ pricing: PriceTable }>(`${base}/api/usage/pricing?model=${q(model)}`, { method: 'DELETE' })).pricing,
  };
}
