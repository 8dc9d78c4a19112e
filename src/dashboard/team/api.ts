/**
 * Typed client for the team view's routes (docs/contracts.md "Team view API"). Browser code: the
 * response types are the sidecar's own (src/sidecar/team/view-routes.ts), imported as types only.
 */
import type {
  TeamDaily,
  TeamFilter,
  TeamMachine,
  TeamSearchHit,
  TeamSearchPage,
  TeamSessionPage,
  TeamSessionRow,
  TeamStatus,
  TeamTimelinePage,
  TeamTimelineRow,
  TeamTotals,
  TeamTotalsBy,
  TeamTotalsRow,
} from '../../sidecar/team/view-routes.js';

export type { TeamDaily, TeamFilter, TeamMachine, TeamSearchHit, TeamSearchPage, TeamSessionPage, TeamSessionRow, TeamStatus, TeamTimelinePage, TeamTimelineRow, TeamTotals, TeamTotalsBy, TeamTotalsRow };

/** A failed team request: the route's `code` (team_unreachable, team_not_configured, …) and message. */
export class TeamApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string, params: Record<string, string | number | null | undefined> = {}): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const res = await fetch(qs.toString() ? `${path}?${qs}` : path, { headers: { Accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string; code?: string };
  if (!res.ok) throw new TeamApiError(res.status, body.code ?? null, body.error ?? `HTTP ${res.status}`);
  return body;
}

const filterParams = (f: TeamFilter): Record<string, string | null | undefined> => ({ machine: f.machine, person: f.person, agent: f.agent, model: f.model, day: f.day });

export const teamApi = {
  status: () => get<TeamStatus>('/api/team/status'),
  machines: () => get<{ machines: TeamMachine[] }>('/api/team/machines'),
  sessions: (f: TeamFilter, cursor: string | null, limit = 50) => get<TeamSessionPage>('/api/team/sessions', { ...filterParams(f), cursor, limit }),
  totals: (by: TeamTotalsBy, f: TeamFilter) => get<TeamTotals>('/api/team/totals', { ...filterParams(f), by }),
  daily: (days: number, f: TeamFilter) => get<TeamDaily>('/api/team/daily', { ...filterParams(f), days }),
  search: (q: string, before: string | null = null) => get<TeamSearchPage>('/api/team/search', { q, before }),
  timeline: (id: string, before: string | null = null, limit = 200) => get<TeamTimelinePage>(`/api/team/sessions/${encodeURIComponent(id)}/timeline`, { before, limit }),
};
