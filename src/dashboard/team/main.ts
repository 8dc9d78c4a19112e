/**
 * Entry of build/agent-monitor/public/team.js: the dashboard's "Team" mode, loaded by the mode
 * switch of src/dashboard/main.ts the first time the user picks Team, and mounted into its
 * `#team-root`. It reads the shared PostgreSQL through the sidecar's team routes
 * (src/sidecar/team/view-routes.ts): sessions across machines with a machine column and filters,
 * totals per person/machine/agent/model/day, the daily chart (uPlot, as the usage panels), search
 * and a session's timeline. Where the synced data lacks something (text that was not shared), the
 * page says so instead of showing an empty box.
 */
import { barChart } from '../usage/charts.js';
import { money, tokens, usd } from '../usage/format.js';
import { agentName, fmtAgo, fmtDateTime, h, shortFolder, snippetNode } from '../dom.js';
import { TeamApiError, teamApi, type TeamFilter, type TeamMachine, type TeamSearchHit, type TeamSessionRow, type TeamStatus, type TeamTimelineRow, type TeamTotalsBy, type TeamTotalsRow } from './api.js';
import type uPlot from 'uplot';

const NOT_SHARED = 'Text was not shared: the machines push tool names, times, tokens and costs only (AGENT_MONITOR_SHARE_TEXT is off).';

interface TeamState {
  filter: TeamFilter;
  by: TeamTotalsBy;
  metric: 'tokens' | 'cost';
  days: number;
  machines: TeamMachine[];
  models: string[];
  sessions: TeamSessionRow[];
  cursor: string | null;
  selected: string | null;
  status: TeamStatus | null;
}

const state: TeamState = { filter: {}, by: 'machine', metric: 'tokens', days: 30, machines: [], models: [], sessions: [], cursor: null, selected: null, status: null };

const ui = {
  root: h('div.team', { 'data-team': 'view' }),
  status: h('div.team-status', { role: 'status', 'aria-live': 'polite' }),
  filters: h('div.team-filters', { role: 'group', 'aria-label': 'Team filters' }),
  totalsTabs: h('div.team-tabs', { role: 'tablist', 'aria-label': 'Totals per' }),
  totals: h('div.team-totals-table'),
  dailyControls: h('div.team-daily-controls'),
  daily: h('div.team-daily.usage-chart'),
  sessions: h('tbody'),
  sessionsFoot: h('div.team-sessions-foot'),
  search: h('input.search.team-search', { type: 'search', placeholder: 'Search shared text across machines…', 'aria-label': 'Search the team', autocomplete: 'off' }),
  detail: h('section.team-detail', { 'aria-label': 'Team session or search results' }),
};

let dailyChart: uPlot | null = null;

function problem(err: unknown): string {
  if (err instanceof TeamApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function layout(mount: HTMLElement): void {
  if (!document.querySelector('link[href="/team.css"]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/team.css';
    document.head.append(link);
  }
  const sessionsTable = h(
    'table.team-table.team-sessions-table',
    { 'aria-label': 'Team sessions' },
    h('thead', null, h('tr', null, ...['Machine', 'Person', 'Agent', 'Session', 'Model', 'Last active', 'Events', 'Tokens', 'Cost'].map((c) => h('th', { scope: 'col' }, c)))),
    ui.sessions,
  );
  ui.root.replaceChildren(
    ui.status,
    ui.filters,
    h('section.team-totals', { 'aria-labelledby': 'team-totals-h' }, h('h2.side-h', { id: 'team-totals-h' }, 'Totals'), ui.totalsTabs, ui.totals),
    h('section.team-chart', { 'aria-labelledby': 'team-daily-h' }, h('h2.side-h', { id: 'team-daily-h' }, 'Per day, by agent and model'), ui.dailyControls, ui.daily),
    h(
      'div.team-columns',
      null,
      h('section.team-sessions', { 'aria-labelledby': 'team-sessions-h' }, h('h2.side-h', { id: 'team-sessions-h' }, 'Sessions across machines'), sessionsTable, ui.sessionsFoot),
      h('div.team-right', null, h('div.search-wrap', null, ui.search), ui.detail),
    ),
  );
  mount.replaceChildren(ui.root);
}

// ---------- filters ----------

function select(label: string, name: keyof TeamFilter, options: Array<[string, string]>): HTMLSelectElement {
  const el = h('select', { name, 'aria-label': label });
  for (const [v, t] of options) el.append(h('option', { value: v }, t));
  el.value = state.filter[name] ?? '';
  el.addEventListener('change', () => {
    state.filter[name] = el.value || null;
    void refreshData();
  });
  return el;
}

function renderFilters(): void {
  const persons = [...new Set(state.machines.map((m) => m.person).filter((p): p is string => Boolean(p)))].sort();
  const day = h('input', { type: 'date', name: 'day', 'aria-label': 'Day (UTC)' });
  day.value = state.filter.day ?? '';
  day.addEventListener('change', () => {
    state.filter.day = day.value || null;
    void refreshData();
  });
  ui.filters.replaceChildren(
    select('Machine', 'machine', [['', 'All machines'], ...state.machines.map((m): [string, string] => [m.machine_id, `${m.machine_name ?? m.machine_id} (${m.sessions})`])]),
    select('Person', 'person', [['', 'All people'], ...persons.map((p): [string, string] => [p, p])]),
    select('Agent', 'agent', [['', 'All agents'], ['claude', 'Claude Code'], ['codex', 'Codex']]),
    select('Model', 'model', [['', 'All models'], ...state.models.map((m): [string, string] => [m, m])]),
    day,
  );
}

// ---------- totals ----------

const BY_LABEL: Record<TeamTotalsBy, string> = { person: 'Person', machine: 'Machine', agent: 'Agent', model: 'Model', day: 'Day (UTC)' };

function renderTabs(): void {
  ui.totalsTabs.replaceChildren(
    ...(Object.keys(BY_LABEL) as TeamTotalsBy[]).map((by) =>
      h(
        'button.ghost.team-tab',
        {
          type: 'button',
          role: 'tab',
          'data-by': by,
          'aria-selected': String(by === state.by),
          onclick: () => {
            state.by = by;
            renderTabs();
            void drawTotals();
          },
        },
        BY_LABEL[by],
      ),
    ),
  );
}

function totalsLine(r: Pick<TeamTotalsRow, 'sessions' | 'messages' | 'tokens' | 'cost' | 'unpricedTokens'>, label: Node | string, key: string | null, cls = 'tr'): HTMLTableRowElement {
  const cells = [r.sessions, r.messages, r.tokens.input, r.tokens.output, r.tokens.cacheRead, r.tokens.cacheWrite, r.tokens.total].map((n) => h('td.num', null, n.toLocaleString('en-US')));
  return h(
    `${cls === 'tr' ? 'tr' : 'tr.team-all'}` as 'tr',
    { 'data-key': key ?? '', 'data-total-tokens': String(r.tokens.total), 'data-cost': r.cost === null ? '' : r.cost.toFixed(6) },
    h('th', { scope: 'row' }, label),
    ...cells,
    h('td.num', { title: 'API list-price estimate, priced by each pushing machine' }, money(r.cost, r.unpricedTokens)),
  );
}

async function drawTotals(): Promise<void> {
  const by = state.by;
  try {
    const t = await teamApi.totals(by, state.filter);
    if (by !== state.by) return;
    const head = h('tr', null, ...[BY_LABEL[by], 'Sessions', 'Messages', 'Input', 'Output', 'Cache read', 'Cache write', 'Total tokens', 'Cost (est.)'].map((c) => h('th', { scope: 'col' }, c)));
    const label = (r: TeamTotalsRow): string => (by === 'agent' ? agentName(r.key) : r.label);
    ui.totals.replaceChildren(
      t.rows.length
        ? h(
            'table.team-table',
            { 'aria-label': `Totals per ${by}`, 'data-by': by },
            h('thead', null, head),
            h('tbody', null, ...t.rows.map((r) => totalsLine(r, label(r), r.key))),
            h('tfoot', null, totalsLine(t.all, 'All', null, 'all')),
          )
        : h('p.tl-muted', null, 'No token records match these filters.'),
      h('p.usage-note', null, `Costs: ${t.label}.`),
    );
  } catch (err) {
    ui.totals.replaceChildren(h('p.tl-error', null, problem(err)));
  }
}

// ---------- daily chart ----------

function renderDailyControls(): void {
  const metric = h('select', { 'aria-label': 'daily metric' }, h('option', { value: 'tokens' }, 'Tokens'), h('option', { value: 'cost' }, 'Cost'));
  metric.value = state.metric;
  metric.addEventListener('change', () => {
    state.metric = metric.value === 'cost' ? 'cost' : 'tokens';
    void drawDaily();
  });
  const range = h('select', { 'aria-label': 'days shown' }, h('option', { value: '30' }, 'Last 30 days'), h('option', { value: '365' }, 'Last year'));
  range.value = String(state.days);
  range.addEventListener('change', () => {
    state.days = Number(range.value);
    void drawDaily();
  });
  ui.dailyControls.replaceChildren(range, metric);
}

async function drawDaily(): Promise<void> {
  try {
    const d = await teamApi.daily(state.days, state.filter);
    dailyChart?.destroy();
    dailyChart = null;
    if (!d.series.length) {
      ui.daily.replaceChildren(h('p.tl-muted', null, 'No usage in this period.'));
      return;
    }
    const byCost = state.metric === 'cost';
    dailyChart = barChart(ui.daily, {
      title: byCost ? `Cost per day (${d.label})` : 'Tokens per day',
      labels: d.days.map((x) => x.slice(5)),
      width: Math.max(320, Math.min(1100, (ui.root.clientWidth || 900) - 32)),
      stacked: true,
      yFormat: byCost ? usd : tokens,
      series: d.series.map((s) => ({
        label: `${s.harness === 'codex' ? 'Codex' : 'Claude'} · ${s.model ?? 'unknown model'}`,
        values: byCost ? s.cost : s.tokens,
        format: byCost ? (v: number | null) => money(v) : (v: number | null) => tokens(v ?? 0),
      })),
    });
  } catch (err) {
    ui.daily.replaceChildren(h('p.tl-error', null, problem(err)));
  }
}

// ---------- sessions ----------

function sessionRow(s: TeamSessionRow): HTMLTableRowElement {
  const total = s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write_tokens;
  const tr = h(
    'tr.team-session',
    { 'data-id': s.id, 'data-machine': s.machine_id, tabindex: '0', 'aria-selected': String(s.id === state.selected) },
    h('td.team-machine', { title: s.machine_id }, s.machine_name ?? s.machine_id),
    h('td', null, s.person ?? '–'),
    h('td', null, h(`span.agent.agent-${s.harness ?? 'claude'}`, null, s.harness === 'codex' ? 'Codex' : 'Claude')),
    h('td.team-title', { title: s.cwd ?? s.id }, s.name || shortFolder(s.cwd)),
    h('td', null, s.model ?? '–'),
    h('td', { title: s.updated_at ?? '' }, s.updated_at ? fmtAgo(s.updated_at) : '–'),
    h('td.num', null, s.event_count.toLocaleString('en-US')),
    h('td.num', null, tokens(total)),
    h('td.num', null, money(s.cost)),
  );
  const open = (): void => void openSession(s.id);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') open();
  });
  return tr;
}

function renderSessions(): void {
  ui.sessions.replaceChildren(...state.sessions.map(sessionRow));
  ui.sessionsFoot.replaceChildren(
    state.cursor
      ? h('button.ghost.more', { type: 'button', onclick: () => void loadSessions(false) }, 'Load older sessions')
      : h('div.end', null, state.sessions.length ? `${state.sessions.length} session${state.sessions.length === 1 ? '' : 's'}` : 'No sessions match these filters.'),
  );
}

let listSeq = 0;
async function loadSessions(first: boolean): Promise<void> {
  const seq = ++listSeq;
  try {
    const page = await teamApi.sessions(state.filter, first ? null : state.cursor);
    if (seq !== listSeq) return;
    state.sessions = first ? page.sessions : [...state.sessions, ...page.sessions];
    state.cursor = page.next;
    renderSessions();
  } catch (err) {
    if (seq === listSeq) ui.sessionsFoot.replaceChildren(h('p.tl-error', null, problem(err)));
  }
}

// ---------- timeline ----------

function eventRow(e: TeamTimelineRow): HTMLLIElement {
  return h(
    `li.team-event${e.failure ? '.failed' : ''}` as 'li',
    { 'data-key': e.key },
    h('span.team-time', { title: e.created_at }, fmtDateTime(e.created_at)),
    h('span.team-hook', null, e.hook_type),
    e.tool_name ? h('code.team-tool', null, e.tool_name) : null,
    e.summary ? h('span.team-summary', null, e.summary) : h('span.team-nosummary.tl-muted', null, 'text not shared'),
    e.failure ? h('span.team-failure', null, e.failure) : null,
  );
}

let detailSeq = 0;
async function openSession(id: string): Promise<void> {
  const seq = ++detailSeq;
  state.selected = id;
  for (const tr of Array.from(ui.sessions.querySelectorAll('tr'))) tr.setAttribute('aria-selected', String(tr.dataset.id === id));
  ui.detail.replaceChildren(h('p.tl-muted', null, 'Loading…'));
  const list = h('ol.team-timeline', { 'aria-label': 'Team session timeline' });
  const top = h('div.team-tl-top');
  const load = async (before: string | null): Promise<void> => {
    const page = await teamApi.timeline(id, before);
    if (seq !== detailSeq) return;
    if (!before) {
      const s = page.session;
      ui.detail.replaceChildren(
        h(
          'div.s-title',
          null,
          h(`span.agent.agent-${s.harness ?? 'claude'}`, null, agentName(s.harness)),
          h('h1', { title: s.id }, s.name || shortFolder(s.cwd)),
          h(`span.status.status-${s.status ?? 'unknown'}`, null, s.status ?? 'unknown'),
        ),
        h(
          'dl.s-facts',
          null,
          h('dt', null, 'Machine'),
          h('dd.team-detail-machine', null, `${s.machine_name ?? s.machine_id}${s.person ? ` · ${s.person}` : ''}${s.seen_live ? '' : ' (imported, not seen live)'}`),
          h('dt', null, 'Folder'),
          h('dd', null, h('code', null, s.cwd ?? 'unknown')),
          h('dt', null, 'Model'),
          h('dd', null, s.model ?? 'unknown'),
          h('dt', null, 'Started'),
          h('dd', null, s.started_at ? fmtDateTime(s.started_at) : 'unknown'),
          h('dt', null, 'Events'),
          h('dd', null, String(s.event_count)),
          h('dt', null, 'Cost'),
          h('dd', null, money(s.cost)),
        ),
        page.textShared ? h('p.usage-note', null, 'Timeline as pushed to the team database (full event detail stays on the machine).') : h('p.team-notice', null, NOT_SHARED),
        top,
        list,
      );
    }
    list.prepend(...page.events.map(eventRow));
    top.replaceChildren(
      page.older
        ? h('button.ghost.edge', { type: 'button', onclick: () => void load(page.older).catch((err: unknown) => top.replaceChildren(h('p.tl-error', null, problem(err)))) }, 'Load older events')
        : h('div.edge-end', null, page.events.length || before ? 'Start of the session' : 'No events synced for this session'),
    );
  };
  try {
    await load(null);
  } catch (err) {
    if (seq === detailSeq) ui.detail.replaceChildren(h('p.tl-error', null, problem(err)));
  }
}

// ---------- search ----------

function hitRow(hit: TeamSearchHit): HTMLLIElement {
  const li = h(
    'li.hit-row',
    { tabindex: '0', 'data-session-id': hit.session_id },
    h(
      'div.hit-top',
      null,
      h(`span.agent.agent-${hit.harness ?? 'claude'}`, null, hit.harness === 'codex' ? 'Codex' : 'Claude'),
      h('span.team-hit-machine', null, hit.machine_name ?? hit.machine_id ?? ''),
      h('span.hit-where', { title: hit.cwd ?? '' }, hit.session_name || shortFolder(hit.cwd)),
      h('span.hit-type', null, hit.tool_name ? `${hit.hook_type} · ${hit.tool_name}` : hit.hook_type),
      h('span.hit-time', null, fmtDateTime(hit.created_at)),
    ),
    snippetNode(hit.snippet),
  );
  li.addEventListener('click', () => void openSession(hit.session_id));
  return li;
}

let searchSeq = 0;
let searchTimer: ReturnType<typeof setTimeout> | null = null;
async function runSearch(q: string): Promise<void> {
  const seq = ++searchSeq;
  if (!q.trim()) {
    if (state.selected) void openSession(state.selected);
    else ui.detail.replaceChildren(h('p.tl-muted', null, DETAIL_HINT));
    return;
  }
  ui.detail.replaceChildren(h('h2.side-h', null, `Searching for “${q}”…`));
  try {
    const page = await teamApi.search(q);
    if (seq !== searchSeq) return;
    const parts: HTMLElement[] = [h('h2.side-h', null, page.results.length ? `${page.results.length}${page.next ? '+' : ''} matches for “${q}”` : `Nothing matches “${q}”`)];
    if (!page.textShared) parts.push(h('p.team-notice', null, `${NOT_SHARED} Search looks only at shared text, so it cannot find anything.`));
    if (page.results.length) parts.push(h('ul.hits', null, ...page.results.map(hitRow)));
    ui.detail.replaceChildren(...parts);
  } catch (err) {
    if (seq === searchSeq) ui.detail.replaceChildren(h('p.tl-error', null, problem(err)));
  }
}

ui.search.addEventListener('input', () => {
  if (searchTimer) clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void runSearch(ui.search.value), 200);
});
ui.search.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    if (searchTimer) clearTimeout(searchTimer);
    void runSearch(ui.search.value);
  }
});

// ---------- status and refresh ----------

function renderStatus(s: TeamStatus): void {
  if (!s.configured) {
    ui.status.replaceChildren(h('p.team-problem', { 'data-code': s.code ?? '' }, 'Team view is off: this sidecar has no team database. ', h('span.tl-muted', null, s.error ?? '')));
  } else if (s.code) {
    ui.status.replaceChildren(h('p.team-problem', { 'data-code': s.code }, s.error ?? s.code));
  } else {
    ui.status.replaceChildren(
      h(
        'p.team-ok',
        null,
        `${s.machines ?? 0} machine${s.machines === 1 ? '' : 's'} in the team database · read ${s.source === 'view-url' ? 'with the read-only team-view login' : 'with the push login, read-only transactions'}`,
        s.textShared ? '' : ' · no machine shares text (search and event text are unavailable)',
      ),
    );
  }
}

async function refreshData(): Promise<void> {
  await Promise.all([loadSessions(true), drawTotals(), drawDaily()]);
}

async function refresh(): Promise<void> {
  let status: TeamStatus;
  try {
    status = await teamApi.status();
  } catch (err) {
    ui.status.replaceChildren(h('p.team-problem', null, problem(err)));
    return;
  }
  state.status = status;
  renderStatus(status);
  if (!status.configured || status.code) {
    ui.root.classList.add('team-unavailable');
    return;
  }
  ui.root.classList.remove('team-unavailable');
  const [machines, models] = await Promise.all([
    teamApi.machines().catch(() => ({ machines: [] as TeamMachine[] })),
    teamApi.totals('model', {}).catch(() => null),
  ]);
  state.machines = machines.machines;
  state.models = (models?.rows ?? []).map((r) => r.key).filter((k): k is string => Boolean(k)).sort();
  renderFilters();
  renderTabs();
  renderDailyControls();
  await refreshData();
}

const DETAIL_HINT = 'Pick a session to see its timeline as pushed to the team database, or search the text the machines shared.';

function mount(): void {
  const root = document.getElementById('team-root');
  if (!root) return;
  layout(root);
  ui.detail.replaceChildren(h('p.tl-muted', null, DETAIL_HINT));
  void refresh();
}

mount();
(window as unknown as { agentMonitorTeam?: unknown }).agentMonitorTeam = { refresh, openSession };
