/**
 * The dashboard page: sessions that need you first, the paged and filtered session list, the
 * selected session's timeline (newest first page, older pages on scroll, live appends), search
 * across everything, and export. Loaded by the dashboard-entry patch (patches/dashboard-entry.ts).
 *
 * Mount points for further panels: the session view has one `[data-panel]` element per panel
 * (`data-panel="summary"`, `data-panel="usage"`); `registerPanel` fills one for each session.
 */
import { api, connectStream, needsYouOf, type Family, type Project, type RowUsage, type SearchHit, type SessionFilter, type SessionListRow, type SessionRow, type StreamFrame, type TimelineEvent } from './api.js';
import { agentName, fmtAgo, fmtDateTime, fmtTokens, h, shortFolder, snippetNode } from './dom.js';
import { money, PRICE_NOTE } from './usage/format.js';
import { TimelineModel, type Item } from './timeline-model.js';
import { openRow, renderItem, replaceRow } from './timeline-view.js';
import { mergedRefresh } from './merged-refresh.js';

const PAGE = 200;
const TITLE = 'Agent Monitor';

/** A panel shown in the session view, below the header (e.g. usage and cost). */
export interface SessionPanel {
  id: string;
  render(mount: HTMLElement, session: SessionRow): void | Promise<void>;
}
const panels: SessionPanel[] = [];
export function registerPanel(panel: SessionPanel): void {
  panels.push(panel);
}

interface State {
  sessions: Map<string, SessionRow>;
  /** The newest list row of every session seen in a tree (top-level and subagents): usage and children. */
  nodes: Map<string, SessionListRow>;
  /** Sessions whose subagents are shown; kept across live refreshes and re-renders. */
  expanded: Set<string>;
  /** The selected session's parent and subagents (from its timeline, updated by live refreshes). */
  family: Family | null;
  /** Order of the paged list: top-level sessions only (excluding those that need you, shown above it). */
  listIds: string[];
  listCursor: string | null;
  listLoading: boolean;
  filter: SessionFilter;
  selectedId: string | null;
  timeline: {
    model: TimelineModel;
    older: string | null;
    newer: string | null;
    loading: boolean;
    rows: Map<string, HTMLLIElement>;
    /** Older rows are still being imported from the session's history file (GET …/timeline `importing`). */
    importing: boolean;
  } | null;
  notified: Set<number>;
  projects: Project[];
}

const state: State = {
  sessions: new Map(),
  nodes: new Map(),
  expanded: new Set(),
  family: null,
  listIds: [],
  listCursor: null,
  listLoading: false,
  filter: {},
  selectedId: null,
  timeline: null,
  notified: new Set(),
  projects: [],
};

// ---------- layout ----------

const ui = {
  conn: h('span.conn', { role: 'status', 'aria-live': 'polite' }, 'connecting…'),
  search: h('input.search', { type: 'search', placeholder: 'Search prompts, commands, files, output…  ( / )', 'aria-label': 'Search all sessions', autocomplete: 'off' }),
  notifyBtn: h('button.ghost.notify', { type: 'button', hidden: true }, 'Notify me'),
  needsCount: h('span.needs-pill', { hidden: true }),
  filters: h('div.filters'),
  needsList: h('ul.cards.needs', { 'aria-label': 'Sessions that need you' }),
  needsHead: h('h2.side-h.needs-h', { hidden: true }, 'Needs you'),
  list: h('ul.cards', { 'aria-label': 'Sessions' }),
  listFoot: h('div.list-foot'),
  side: h('aside.side'),
  main: h('main.main', { tabindex: '-1' }),
  shell: h('div.shell'),
  modeSwitch: h('div.mode-switch', { role: 'group', 'aria-label': 'Whose sessions' }),
  /** The team view's mount point (public/team.js, src/dashboard/team/main.ts), filled on first use. */
  teamRoot: h('div.team-root', { id: 'team-root', hidden: true }),
};

function buildLayout(): void {
  for (const link of Array.from(document.querySelectorAll('link[rel="stylesheet"]'))) {
    if (!(link as HTMLLinkElement).href.endsWith('/dashboard.css')) link.remove();
  }
  document.body.className = 'amh';
  const brand = h('div.brand', null, h('span.logo', { 'aria-hidden': 'true' }), h('span', null, TITLE));
  const top = h('header.top', null, brand, ui.modeSwitch, h('div.search-wrap', null, ui.search), ui.needsCount, ui.notifyBtn, ui.conn);
  const costNote = h('span.cost-note', { title: PRICE_NOTE }, '$ = API list-price estimate');
  ui.side.append(ui.filters, ui.needsHead, ui.needsList, h('h2.side-h', null, 'Sessions', costNote), ui.list, ui.listFoot);
  ui.shell.append(ui.side, ui.main);
  document.body.replaceChildren(top, ui.shell, ui.teamRoot);
  renderModeSwitch();
  renderFilters();
  showEmptyMain();
}

// ---------- this machine | team ----------

type Mode = 'local' | 'team';
let mode: Mode = 'local';
let teamLoaded = false;

function renderModeSwitch(): void {
  const button = (m: Mode, label: string): HTMLButtonElement =>
    h('button.mode', { type: 'button', 'data-mode': m, 'aria-pressed': String(mode === m), onclick: () => setMode(m) }, label);
  ui.modeSwitch.replaceChildren(button('local', 'This machine'), button('team', 'Team'));
}

/**
 * Team mode shows the team view in place of this machine's list and session; this machine's
 * state (list, filters, selected session, live stream) stays as it was, so switching back shows
 * it unchanged. The team script is loaded the first time it is needed.
 */
function setMode(next: Mode): void {
  if (next === mode) return;
  mode = next;
  document.body.classList.toggle('team-mode', mode === 'team');
  ui.shell.hidden = mode === 'team';
  ui.teamRoot.hidden = mode !== 'team';
  ui.search.closest<HTMLElement>('.search-wrap')!.hidden = mode === 'team';
  renderModeSwitch();
  if (mode !== 'team') return;
  if (!teamLoaded) {
    teamLoaded = true;
    document.head.append(h('script', { src: '/team.js', defer: true }));
  } else {
    void (window as unknown as { agentMonitorTeam?: { refresh(): Promise<void> } }).agentMonitorTeam?.refresh();
  }
}

// ---------- filters ----------

function select(label: string, name: keyof SessionFilter, options: Array<[string, string]>, value: string): HTMLElement {
  const el = h('select', { name, 'aria-label': label });
  for (const [v, t] of options) el.append(h('option', { value: v }, t));
  el.value = value;
  el.addEventListener('change', () => {
    (state.filter as Record<string, unknown>)[name] = el.value || undefined;
    void reloadList();
  });
  return el;
}

function dateOptions(): Array<[string, string]> {
  const day = 86_400_000;
  const startOfToday = new Date();
  startOfToday.setHours(0, 0, 0, 0);
  return [
    ['', 'Any time'],
    [startOfToday.toISOString(), 'Today'],
    [new Date(Date.now() - 7 * day).toISOString(), 'Last 7 days'],
    [new Date(Date.now() - 30 * day).toISOString(), 'Last 30 days'],
  ];
}

function renderFilters(): void {
  const f = state.filter;
  const attention = h('input', { type: 'checkbox', id: 'f-attention' });
  attention.checked = Boolean(f.attention);
  attention.addEventListener('change', () => {
    state.filter.attention = attention.checked || undefined;
    void reloadList();
  });
  const projectOptions: Array<[string, string]> = [['', 'All folders'], ...state.projects.map((p): [string, string] => [p.cwd, `${shortFolder(p.cwd)} (${p.sessions})`])];
  ui.filters.replaceChildren(
    select('Agent', 'harness', [['', 'All agents'], ['claude', 'Claude Code'], ['codex', 'Codex']], f.harness ?? ''),
    select('Status', 'status', [['', 'Any status'], ['active', 'Active'], ['waiting', 'Waiting'], ['completed', 'Completed']], f.status ?? ''),
    select('Project folder', 'cwd', projectOptions, f.cwd ?? ''),
    select('Active since', 'from', dateOptions(), f.from ?? ''),
    h('label.check', { for: 'f-attention' }, attention, 'Needs you only'),
  );
}

// ---------- session list ----------

function matchesFilter(s: SessionRow): boolean {
  const f = state.filter;
  if (f.harness && (s.harness ?? 'claude') !== f.harness) return false;
  if (f.status && s.status !== f.status) return false;
  if (f.attention && !s.needs_you) return false;
  if (f.cwd && s.cwd !== f.cwd && !(s.cwd ?? '').startsWith(f.cwd.endsWith('/') ? f.cwd : `${f.cwd}/`)) return false;
  if (f.from && s.updated_at < f.from) return false;
  return true;
}

function needsYouIds(): string[] {
  return [...state.sessions.values()]
    .filter((s) => s.needs_you && matchesFilter(s))
    .sort((a, b) => (needsYouOf(a)?.since ?? '').localeCompare(needsYouOf(b)?.since ?? ''))
    .map((s) => s.id);
}

/** Sessions in the order shown (needs-you first, then the list with its expanded subagents), for keyboard navigation. */
function visibleOrder(): string[] {
  const needs = needsYouIds();
  const set = new Set(needs);
  const out = [...needs];
  const walk = (id: string, seen: Set<string>): void => {
    if (seen.has(id)) return;
    seen.add(id);
    if (!set.has(id)) out.push(id);
    if (state.expanded.has(id)) for (const c of state.nodes.get(id)?.children ?? []) walk(c.id, seen);
  };
  const seen = new Set<string>();
  for (const id of state.listIds) walk(id, seen);
  return out;
}

// ---------- tokens and cost of a row ----------

function exactTokens(u: RowUsage['total']): string {
  const t = u.tokens;
  return `${t.total.toLocaleString('en-US')} tokens (in ${t.input} · out ${t.output} · cache read ${t.cacheRead} · cache write ${t.cacheWrite})`;
}

/** "12.3k tokens · $0.042": own usage; the exact counts in the title, the estimate labelled. */
function usageLine(cls: string, label: string | null, u: RowUsage['total'], exact: boolean): HTMLElement {
  const cost = exact ? money(u.cost, u.unpricedTokens) : '—';
  return h(
    `span.${cls}`,
    { 'data-tokens': String(u.tokens.total), 'data-cost': u.cost === null ? '' : String(u.cost), title: `${exactTokens(u)}${exact ? ` · ${money(u.cost, u.unpricedTokens)}: ${PRICE_NOTE}` : ' · running counters, not yet priced'}` },
    label ? `${label} ` : '',
    h('span.u-tokens', null, `${fmtTokens(u.tokens.total)} tok`),
    ' · ',
    h('span.u-cost', null, cost),
  );
}

function cardUsage(node: SessionListRow | undefined): HTMLElement | null {
  if (!node) return null;
  const own = usageLine('u-own', null, node.usage.own, node.usage.own.exact);
  if (!node.children.length) return h('div.card-usage', null, own);
  return h('div.card-usage', null, own, usageLine('u-total', `with ${node.descendants} subagent${node.descendants === 1 ? '' : 's'}:`, node.usage.total, true));
}

/** Stores a tree from the list route: every row and node, at any depth. */
function absorb(node: SessionListRow, seen = new Set<string>()): void {
  if (seen.has(node.id)) return;
  seen.add(node.id);
  state.nodes.set(node.id, node);
  const { usage: _u, children, descendants: _d, parent_unknown: _p, ...row } = node;
  state.sessions.set(node.id, row);
  for (const c of children) absorb(c, seen);
}

/** Ids of every session below a node (to drop them from the top level once they are nested). */
function below(node: SessionListRow, out = new Set<string>()): Set<string> {
  for (const c of node.children) {
    if (out.has(c.id)) continue;
    out.add(c.id);
    below(c, out);
  }
  return out;
}

function byRecency(a: string, b: string): number {
  const x = state.sessions.get(a);
  const y = state.sessions.get(b);
  const ua = x?.updated_at ?? '';
  const ub = y?.updated_at ?? '';
  return ua === ub ? (a < b ? 1 : a > b ? -1 : 0) : ua < ub ? 1 : -1;
}

/** Top-level trees from the list route (a page or a live refresh) into the list, newest first. */
function applyTrees(trees: SessionListRow[]): void {
  const nested = new Set<string>();
  const before = new Map(state.sessions);
  for (const t of trees) {
    absorb(t);
    for (const id of below(t)) nested.add(id);
  }
  for (const [id, row] of state.sessions) if (row !== before.get(id)) maybeNotify(before.get(id), row);
  const ids = new Set(state.listIds.filter((id) => !nested.has(id)));
  for (const t of trees) if (matchesFilter(t)) ids.add(t.id);
  state.listIds = [...ids].sort(byRecency);
  const selected = state.selectedId ? state.sessions.get(state.selectedId) : undefined;
  if (selected && selected !== before.get(selected.id)) renderSessionHeader(selected);
  refreshFamily();
}

function card(s: SessionRow, depth = 0): HTMLLIElement {
  const needs = needsYouOf(s);
  const node = state.nodes.get(s.id);
  const parent = s.parent_session_id && s.parent_session_id !== s.id ? state.sessions.get(s.parent_session_id) : undefined;
  const li = h('li.card', { 'data-id': s.id, tabindex: '-1', role: 'option', 'aria-selected': String(s.id === state.selectedId) });
  if (s.id === state.selectedId) li.classList.add('selected');
  if (needs) li.classList.add('needs-you');
  const harness = s.harness ?? 'claude';
  const title = s.name || shortFolder(s.cwd);
  const parts: Array<HTMLElement | null> = [
    h(
      'div.card-top',
      null,
      h(`span.agent.agent-${harness}`, { title: agentName(harness) }, harness === 'codex' ? 'Codex' : 'Claude'),
      depth > 0 || parent ? h('span.sub-mark', { title: `subagent of ${parent ? parent.name || shortFolder(parent.cwd) : s.parent_session_id}` }, '↳') : null,
      h('span.card-title', { title: s.cwd ?? s.id }, title),
      h(`span.status.status-${s.status}`, null, s.status),
    ),
    node?.parent_unknown
      ? h('div.card-orphan', { title: `parent session ${s.parent_session_id ?? ''} is not in the monitor's history` }, 'subagent · parent session not seen')
      : null,
    needs
      ? h(
          'div.card-needs',
          null,
          h('span.needs-badge', null, needs.kind === 'approval' ? 'Needs approval' : needs.kind === 'question' ? 'Question' : 'Waiting for you'),
          h('code.needs-detail', null, `${needs.tool ? `${needs.tool}: ` : ''}${needs.detail}`),
        )
      : null,
    h(
      'div.card-meta',
      null,
      `${s.model ?? 'model unknown'} · ${s.importing ? 'events importing…' : `${s.event_count} event${s.event_count === 1 ? '' : 's'}`} · ${fmtAgo(s.updated_at)}`,
      s.sources ? h('span.sources', { title: 'where this session was seen' }, s.sources === 'hook,rollout' ? 'hook+rollout' : s.sources) : null,
    ),
    cardUsage(node),
  ];
  li.append(...parts.filter((p): p is HTMLElement => p !== null));
  li.addEventListener('click', (ev) => {
    ev.stopPropagation(); // a subagent's card sits inside its parent's
    void selectSession(s.id);
  });
  return li;
}

/**
 * A list entry: the session's card and, when it has subagents, a toggle and (expanded) their
 * entries nested below it, at any depth. `seen` guards against bad parent data looping.
 */
function treeItem(id: string, depth: number, seen: Set<string>): HTMLLIElement | null {
  const s = state.sessions.get(id);
  if (!s || seen.has(id)) return null;
  seen.add(id);
  const li = card(s, depth);
  if (depth > 0) li.classList.add('sub-card');
  const kids = (state.nodes.get(id)?.children ?? []).filter((c) => !seen.has(c.id));
  if (!kids.length) return li;
  const open = state.expanded.has(id);
  li.setAttribute('aria-expanded', String(open));
  const toggle = h(
    'button.ghost.sub-toggle',
    { type: 'button', 'aria-expanded': String(open), 'aria-label': `${open ? 'hide' : 'show'} ${kids.length} subagent${kids.length === 1 ? '' : 's'}` },
    `${open ? '▾' : '▸'} ${kids.length} subagent${kids.length === 1 ? '' : 's'}`,
  );
  toggle.addEventListener('click', (ev) => {
    ev.stopPropagation(); // not a click on the card (which opens the session)
    if (state.expanded.has(id)) state.expanded.delete(id);
    else state.expanded.add(id);
    renderList();
  });
  li.append(toggle);
  if (open) {
    const ul = h('ul.cards.sub-cards', { role: 'group', 'aria-label': `Subagents of ${s.name || shortFolder(s.cwd)}` });
    for (const k of kids) {
      const item = treeItem(k.id, depth + 1, seen);
      if (item) ul.append(item);
    }
    li.append(ul);
  }
  return li;
}

function renderList(): void {
  const needs = needsYouIds();
  const needSet = new Set(needs);
  ui.needsList.replaceChildren(...needs.map((id) => card(state.sessions.get(id)!)));
  ui.needsHead.hidden = needs.length === 0;
  ui.needsHead.textContent = `Needs you · ${needs.length}`;
  const rest = state.listIds.filter((id) => !needSet.has(id) && state.sessions.has(id));
  const seen = new Set<string>();
  ui.list.replaceChildren(...rest.map((id) => treeItem(id, 0, seen)).filter((li): li is HTMLLIElement => li !== null));
  const anyFilter = Object.values(state.filter).some(Boolean);
  if (!rest.length && !needs.length && !state.listLoading) {
    ui.listFoot.replaceChildren(
      anyFilter
        ? h('div.empty-small', null, 'No sessions match these filters. ', h('button.link', { type: 'button', onclick: () => clearFilters() }, 'Clear filters'))
        : h('div.empty-small', null, 'No sessions yet.'),
    );
  } else {
    ui.listFoot.replaceChildren(state.listCursor ? h('button.ghost.more', { type: 'button', onclick: () => void loadMoreSessions() }, state.listLoading ? 'Loading…' : 'Load older sessions') : h('div.end', null, rest.length ? 'That is all.' : ''));
  }
  updateAttentionCount();
}

function clearFilters(): void {
  state.filter = {};
  renderFilters();
  void reloadList();
}

function updateAttentionCount(): void {
  const n = [...state.sessions.values()].filter((s) => s.needs_you).length;
  document.title = n ? `(${n}) ${TITLE}` : TITLE;
  ui.needsCount.hidden = n === 0;
  ui.needsCount.textContent = `${n} need${n === 1 ? 's' : ''} you`;
}

async function reloadList(): Promise<void> {
  state.listIds = [];
  state.listCursor = null;
  await loadMoreSessions(true);
}

async function loadMoreSessions(first = false): Promise<void> {
  if (state.listLoading || (!first && !state.listCursor)) return;
  state.listLoading = true;
  const filter = { ...state.filter };
  try {
    const page = await api.sessions(filter, first ? null : state.listCursor);
    if (JSON.stringify(filter) !== JSON.stringify(state.filter)) return; // filters changed meanwhile
    for (const t of page.sessions) {
      absorb(t);
      if (!state.listIds.includes(t.id)) state.listIds.push(t.id);
    }
    state.listCursor = page.next;
  } finally {
    state.listLoading = false;
    renderList();
  }
}

/** Sessions nested under a parent in some tree the page holds. */
function isNested(id: string): boolean {
  for (const n of state.nodes.values()) if (n.children.some((c) => c.id === id)) return true;
  return false;
}

/**
 * A live session row (`session_updated`). A top-level session moves to the top; a subagent stays
 * nested under its parent. Its tokens and cost (and its parent's roll-up) come with the next tree
 * refresh, scheduled here when they can have changed.
 */
function applySession(s: SessionRow): void {
  const before = state.sessions.get(s.id);
  state.sessions.set(s.id, s);
  const node = state.nodes.get(s.id);
  if (node) state.nodes.set(s.id, { ...node, ...s });
  const sub = Boolean(s.parent_session_id && s.parent_session_id !== s.id && (isNested(s.id) || state.sessions.has(s.parent_session_id)));
  if (!sub && matchesFilter(s)) {
    state.listIds = [s.id, ...state.listIds.filter((id) => id !== s.id)];
  } else {
    state.listIds = state.listIds.filter((id) => id !== s.id);
  }
  maybeNotify(before, s);
  renderList();
  if (s.id === state.selectedId) renderSessionHeader(s);
  // New usage records come with the importer's `sessions_changed` frames (refetched there); a
  // hook's row changes the numbers only where the page shows them from a tree: a subagent (and
  // its parent's roll-up), a parent, or a row still on its running counters.
  if (sub || (node && (node.children.length > 0 || !node.usage.own.exact))) scheduleTreeRefresh([s.id]);
}

// Live tree refresh: the trees holding updated sessions, fetched at most every 400 ms.
const treeRefresh = { ids: new Set<string>(), timer: null as ReturnType<typeof setTimeout> | null, running: false };
function scheduleTreeRefresh(ids: string[]): void {
  for (const id of ids) treeRefresh.ids.add(id);
  if (treeRefresh.timer || treeRefresh.running) return;
  treeRefresh.timer = setTimeout(() => void runTreeRefresh(), 400);
}

async function runTreeRefresh(): Promise<void> {
  treeRefresh.timer = null;
  const ids = [...treeRefresh.ids];
  treeRefresh.ids.clear();
  if (!ids.length) return;
  treeRefresh.running = true;
  const filter = { ...state.filter };
  try {
    const { sessions } = await api.trees(filter, ids);
    if (JSON.stringify(filter) === JSON.stringify(state.filter)) {
      applyTrees(sessions);
      renderList();
    }
  } catch {
    // the next update retries; the list keeps what it shows
  } finally {
    treeRefresh.running = false;
    if (treeRefresh.ids.size) scheduleTreeRefresh([]);
  }
}

// ---------- web notifications (headless runner page; the desktop host notifies natively) ----------

const embedded = window.top !== window;

function setupNotifications(): void {
  if (embedded || typeof Notification === 'undefined') return;
  if (Notification.permission === 'default') {
    ui.notifyBtn.hidden = false;
    ui.notifyBtn.addEventListener('click', () => {
      void Notification.requestPermission().then(() => {
        ui.notifyBtn.hidden = true;
      });
    });
  }
}

function maybeNotify(before: SessionRow | undefined, s: SessionRow): void {
  const needs = needsYouOf(s);
  if (!needs || state.notified.has(needs.key)) return;
  state.notified.add(needs.key);
  if (needsYouOf(before ?? { needs_you: null })?.key === needs.key) return;
  if (embedded || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const n = new Notification(`${agentName(s.harness)} needs you`, {
    body: `${shortFolder(s.cwd)} — ${needs.tool ? `${needs.tool}: ` : ''}${needs.detail}`,
    tag: `needs-you-${needs.key}`,
  });
  n.onclick = () => {
    window.focus();
    void selectSession(s.id);
  };
}

// ---------- session view ----------

const view = {
  header: h('div.s-header'),
  family: h('div.s-family', { hidden: true }),
  needs: h('div.s-needs', { hidden: true }),
  panels: h('div.s-panels'),
  scroller: h('div.tl-scroll', { tabindex: '0', 'aria-label': 'Timeline' }),
  top: h('div.tl-top'),
  list: h('ol.tl'),
  bottom: h('div.tl-bottom'),
};
view.scroller.append(view.top, view.list, view.bottom);

function showEmptyMain(): void {
  const hasSessions = state.sessions.size > 0;
  ui.main.replaceChildren(
    h(
      'div.empty',
      null,
      h('div.empty-art', { 'aria-hidden': 'true' }),
      h('h2', null, hasSessions ? 'Pick a session' : 'No sessions yet'),
      hasSessions
        ? h('p', null, 'Choose a session on the left to see what it did: prompts, every tool call with its input and output, and the agent\'s answers.')
        : h('p', null, 'Turn on Claude Code or Codex tracking, then start an agent. Sessions appear here as they run, and the ones waiting for you come first.'),
      h(
        'ul.keys',
        null,
        h('li', null, h('kbd', null, 'j'), ' ', h('kbd', null, 'k'), ' or arrows: move between sessions'),
        h('li', null, h('kbd', null, '/'), ' search everything'),
        h('li', null, h('kbd', null, 'Esc'), ' close search'),
      ),
    ),
  );
}

function renderSessionHeader(s: SessionRow): void {
  const harness = s.harness ?? 'claude';
  const tokens = s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write_tokens;
  view.header.replaceChildren(
    h(
      'div.s-title',
      null,
      h(`span.agent.agent-${harness}`, null, agentName(harness)),
      h('h1', { title: s.id }, s.name || shortFolder(s.cwd)),
      h(`span.status.status-${s.status}`, null, s.status),
      h(
        'div.s-actions',
        null,
        h('a.btn', { href: api.exportUrl(s.id, 'md'), download: '', 'data-export': 'md' }, 'Export Markdown'),
        h('a.btn.ghost', { href: api.exportUrl(s.id, 'json'), download: '', 'data-export': 'json' }, 'JSON'),
      ),
    ),
    h(
      'dl.s-facts',
      null,
      h('dt', null, 'Folder'),
      h('dd', null, h('code', null, s.cwd ?? 'unknown')),
      h('dt', null, 'Model'),
      h('dd', null, s.model ?? 'unknown'),
      h('dt', null, 'Started'),
      h('dd', null, fmtDateTime(s.started_at)),
      h('dt', null, 'Events'),
      h('dd', null, s.importing ? `${s.event_count} so far (still importing)` : String(s.event_count)),
      h('dt', null, 'Tokens'),
      h('dd', { title: `in ${s.input_tokens} · out ${s.output_tokens} · cache read ${s.cache_read_tokens} · cache write ${s.cache_write_tokens}` }, fmtTokens(tokens)),
      h('dt', null, 'Session'),
      h('dd', null, h('code', null, s.id)),
    ),
  );
  const needs = needsYouOf(s);
  view.needs.hidden = !needs;
  if (needs) {
    view.needs.replaceChildren(
      h('span.needs-badge', null, needs.kind === 'approval' ? 'Waiting for your approval' : needs.kind === 'question' ? 'Waiting for your answer' : 'Waiting for you'),
      h('code.needs-detail', null, `${needs.tool ? `${needs.tool}: ` : ''}${needs.detail}`),
      h('span.needs-where', null, `in ${s.cwd ?? 'unknown folder'} · since ${fmtAgo(needs.since)}${needs.count > 1 ? ` · ${needs.count} requests` : ''}`),
    );
  }
}

/**
 * The selected session's family: "Subagent of <parent>" (a link), and its subagents as links,
 * each with its own tokens and cost, plus the session's own and rolled-up figures. A live tree
 * refresh that holds the session replaces the subagents and figures.
 */
function refreshFamily(): void {
  const f = state.family;
  const id = state.selectedId;
  if (!f || !id) {
    view.family.hidden = true;
    return;
  }
  const node = state.nodes.get(id);
  if (node) {
    f.usage = node.usage;
    f.children = node.children;
    f.descendants = node.descendants;
  }
  const link = (sid: string, text: string): HTMLElement => h('a.family-link', { href: `#session=${encodeURIComponent(sid)}`, 'data-session': sid }, text);
  const parts: HTMLElement[] = [];
  if (f.parent) {
    parts.push(h('div.family-parent', null, 'Subagent of ', link(f.parent.id, f.parent.name || shortFolder(f.parent.cwd)), h(`span.status.status-${f.parent.status ?? 'unknown'}`, null, f.parent.status ?? '')));
  } else if (f.unknownParentId) {
    parts.push(h('div.family-parent.orphan', { title: f.unknownParentId }, 'Subagent of a session the monitor has not seen (', h('code', null, f.unknownParentId), ')'));
  }
  if (f.children.length) {
    parts.push(
      h(
        'div.family-usage',
        null,
        usageLine('f-own', 'This session:', f.usage.own, f.usage.own.exact),
        usageLine('f-total', `With its ${f.descendants} subagent${f.descendants === 1 ? '' : 's'}:`, f.usage.total, true),
      ),
    );
    const item = (c: SessionListRow, depth: number, seen: Set<string>): HTMLElement[] => {
      if (seen.has(c.id)) return [];
      seen.add(c.id);
      const li = h(
        'li.family-child',
        { 'data-id': c.id, style: depth ? `margin-left: ${depth * 16}px` : null },
        link(c.id, c.name || c.id.slice(0, 8)),
        h(`span.status.status-${c.status}`, null, c.status),
        usageLine('c-own', null, c.usage.own, c.usage.own.exact),
        c.children.length ? usageLine('c-total', 'with its subagents:', c.usage.total, true) : null,
      );
      return [li, ...c.children.flatMap((k) => item(k, depth + 1, seen))];
    };
    const seen = new Set<string>([id]);
    parts.push(h('h3.family-h', null, `Subagents · ${f.descendants}`), h('ul.family-children', null, ...f.children.flatMap((c) => item(c, 0, seen))));
  }
  view.family.replaceChildren(...parts);
  view.family.hidden = parts.length === 0;
}

function renderPanels(s: SessionRow): void {
  view.panels.replaceChildren(
    ...panels.map((p) => {
      const mount = h('section.panel', { 'data-panel': p.id });
      void p.render(mount, s);
      return mount;
    }),
  );
}

function rowFor(item: Item): HTMLLIElement {
  const li = renderItem(item);
  state.timeline?.rows.set(item.key, li);
  return li;
}

function applyChange(change: { added: Item[]; updated: Item[] }, where: 'top' | 'bottom'): void {
  const tl = state.timeline!;
  for (const item of change.updated) {
    const old = tl.rows.get(item.key);
    if (old) tl.rows.set(item.key, replaceRow(old, item));
  }
  const rows = change.added.map(rowFor);
  if (where === 'top') view.list.prepend(...rows);
  else view.list.append(...rows);
  renderEdges();
}

function renderEdges(): void {
  const tl = state.timeline;
  if (!tl) return;
  view.top.replaceChildren(
    tl.older
      ? h('button.ghost.edge', { type: 'button', onclick: () => void loadOlder() }, tl.loading ? 'Loading older events…' : 'Load older events')
      : tl.importing
        ? h('div.edge-end.tl-importing', null, 'Still importing this session’s history: its events appear here as they are read.')
        : tl.model.size
        ? h('div.edge-end', null, 'Start of the session')
        : h('div.edge-end', null, 'No events yet'),
  );
  view.bottom.replaceChildren(tl.newer ? h('button.ghost.edge', { type: 'button', onclick: () => void loadNewer() }, 'Load newer events') : h('div.edge-live', null, 'Live'));
}

async function selectSession(id: string, opts: { around?: number } = {}): Promise<void> {
  state.selectedId = id;
  renderList();
  document.querySelector(`.card[data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  if (location.hash !== `#session=${encodeURIComponent(id)}`) history.replaceState(null, '', `#session=${encodeURIComponent(id)}`);
  state.timeline = { model: new TimelineModel(), older: null, newer: null, loading: true, rows: new Map(), importing: false };
  const tl = state.timeline;
  view.list.replaceChildren();
  view.top.replaceChildren(h('div.edge-end', null, 'Loading…'));
  view.bottom.replaceChildren();
  ui.main.replaceChildren(view.header, view.family, view.needs, view.panels, view.scroller);
  state.family = null;
  view.family.hidden = true;
  const cached = state.sessions.get(id);
  if (cached) renderSessionHeader(cached);
  let page;
  try {
    page = await api.timeline(id, { limit: PAGE, around: opts.around ?? null });
  } catch (err) {
    view.top.replaceChildren(h('div.tl-error', null, (err as Error).message));
    return;
  }
  if (state.timeline !== tl) return; // another session was selected meanwhile
  state.sessions.set(id, page.session);
  renderSessionHeader(page.session);
  state.family = page.family;
  refreshFamily();
  renderPanels(page.session);
  tl.older = page.older;
  tl.newer = page.newer;
  tl.importing = page.importing;
  tl.loading = false;
  applyChange(tl.model.append(page.events), 'bottom');
  if (opts.around !== undefined) {
    const item = tl.model.findByEvent(opts.around);
    const li = item ? tl.rows.get(item.key) : undefined;
    if (item && li) {
      li.classList.add('hit');
      await openRow(li, item);
      // The row's head at the top, with a little of what came before it.
      view.scroller.scrollTop = Math.max(0, li.offsetTop - 96); // offsetParent: the scroller (position: relative)
    }
  } else {
    view.scroller.scrollTop = view.scroller.scrollHeight;
  }
}

async function loadOlder(): Promise<void> {
  const tl = state.timeline;
  if (!tl || tl.loading || !tl.older || !state.selectedId) return;
  tl.loading = true;
  renderEdges();
  try {
    const page = await api.timeline(state.selectedId, { before: tl.older, limit: PAGE });
    if (state.timeline !== tl) return;
    // Keep what the user was looking at in place while rows are added above it.
    const fromBottom = view.scroller.scrollHeight - view.scroller.scrollTop;
    tl.older = page.older;
    tl.loading = false;
    applyChange(tl.model.prepend(page.events), 'top');
    view.scroller.scrollTop = view.scroller.scrollHeight - fromBottom;
  } finally {
    tl.loading = false;
    renderEdges();
  }
}

async function loadNewer(): Promise<void> {
  const tl = state.timeline;
  if (!tl || tl.loading || !tl.newer || !state.selectedId) return;
  tl.loading = true;
  try {
    const page = await api.timeline(state.selectedId, { after: tl.newer, limit: PAGE });
    if (state.timeline !== tl) return;
    tl.newer = page.newer;
    applyChange(tl.model.append(page.events), 'bottom');
  } finally {
    tl.loading = false;
    renderEdges();
  }
}

view.scroller.addEventListener('scroll', () => {
  const el = view.scroller;
  if (el.scrollTop < 200) void loadOlder();
  if (el.scrollHeight - el.scrollTop - el.clientHeight < 200) void loadNewer();
});

function appendLive(e: TimelineEvent): void {
  const tl = state.timeline;
  if (!tl || e.session_id !== state.selectedId || tl.newer || tl.model.has(e.id)) return;
  const el = view.scroller;
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  applyChange(tl.model.append([e]), 'bottom');
  if (atBottom) el.scrollTop = el.scrollHeight;
}

/** Rows imported from a rollout file: fetch what is newer than what is shown. */
async function catchUp(sessionId: string): Promise<void> {
  const tl = state.timeline;
  if (!tl || sessionId !== state.selectedId || tl.loading) return;
  // History rows arrive older than what is shown: load the view again.
  if (tl.importing) return selectSession(sessionId);
  if (tl.newer) return;
  const page = await api.timeline(sessionId, { limit: PAGE });
  if (state.timeline !== tl) return;
  applyChange(tl.model.append(page.events.filter((e) => !tl.model.has(e.id))), 'bottom');
  state.sessions.set(sessionId, page.session);
  renderSessionHeader(page.session);
  state.family = page.family;
  refreshFamily();
}

// ---------- search ----------

let searchSeq = 0;
let searchTimer: ReturnType<typeof setTimeout> | null = null;

function hitRow(hit: SearchHit): HTMLLIElement {
  const li = h(
    'li.hit-row',
    { tabindex: '0', 'data-event-id': String(hit.event_id), 'data-session-id': hit.session_id },
    h(
      'div.hit-top',
      null,
      h(`span.agent.agent-${hit.harness ?? 'claude'}`, null, hit.harness === 'codex' ? 'Codex' : 'Claude'),
      h('span.hit-where', { title: hit.cwd ?? '' }, hit.session_name || shortFolder(hit.cwd)),
      h('span.hit-type', null, hit.tool_name ? `${hit.hook_type} · ${hit.tool_name}` : hit.hook_type),
      h('span.hit-time', null, fmtDateTime(hit.created_at)),
    ),
    snippetNode(hit.snippet),
  );
  const open = (): void => {
    ui.search.blur();
    void selectSession(hit.session_id, { around: hit.event_id });
  };
  li.addEventListener('click', open);
  li.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') open();
  });
  return li;
}

async function runSearch(q: string): Promise<void> {
  const seq = ++searchSeq;
  if (!q.trim()) {
    if (state.selectedId) void selectSession(state.selectedId);
    else showEmptyMain();
    return;
  }
  const box = h('div.results', null, h('h2.side-h', null, `Searching for “${q}”…`));
  ui.main.replaceChildren(box);
  try {
    const { results, next, indexing } = await api.search(q);
    if (seq !== searchSeq) return;
    box.replaceChildren(
      h('h2.side-h', null, results.length ? `${results.length}${next ? '+' : ''} matches for “${q}”` : `Nothing matches “${q}”`),
      // Imported history is indexed after the import: until then some of it is not found.
      ...(indexing.pending > 0 ? [h('p.tl-muted.search-indexing', null, `Indexing imported history: ${indexing.percent} % searchable so far.`)] : []),
      results.length ? h('ul.hits', null, ...results.map(hitRow)) : h('p.tl-muted', null, 'Search looks at prompts, commands, file paths, tool output and the agents\' answers in every session.'),
    );
  } catch (err) {
    if (seq === searchSeq) box.replaceChildren(h('p.tl-error', null, (err as Error).message));
  }
}

ui.search.addEventListener('input', () => {
  if (searchTimer) clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void runSearch(ui.search.value), 150);
});
ui.search.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') {
    ui.search.value = '';
    void runSearch('');
    ui.search.blur();
  }
  if (ev.key === 'Enter') {
    if (searchTimer) clearTimeout(searchTimer);
    void runSearch(ui.search.value);
  }
});

// ---------- keyboard ----------

function move(delta: number): void {
  const order = visibleOrder();
  if (!order.length) return;
  const i = state.selectedId ? order.indexOf(state.selectedId) : -1;
  const next = order[Math.max(0, Math.min(order.length - 1, i + delta))];
  if (next && next !== state.selectedId) void selectSession(next);
  if (i + delta >= order.length - 3 && state.listCursor) void loadMoreSessions();
}

document.addEventListener('keydown', (ev) => {
  const target = ev.target as HTMLElement | null;
  const typing = target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
  if (typing || ev.metaKey || ev.ctrlKey || ev.altKey || mode === 'team') return;
  if (ev.key === 'j' || ev.key === 'ArrowDown') {
    ev.preventDefault();
    move(1);
  } else if (ev.key === 'k' || ev.key === 'ArrowUp') {
    ev.preventDefault();
    move(-1);
  } else if (ev.key === '/') {
    ev.preventDefault();
    ui.search.focus();
    ui.search.select();
  }
});

ui.side.addEventListener('scroll', () => {
  if (ui.side.scrollHeight - ui.side.scrollTop - ui.side.clientHeight < 300) void loadMoreSessions();
});

// ---------- routing (#session=<id>[&event=<id>]), used by the desktop host's notifications ----------

function routeFromHash(): void {
  const params = new URLSearchParams(location.hash.slice(1));
  const id = params.get('session');
  const event = Number(params.get('event'));
  if (id && mode === 'team') setMode('local'); // a notification opens this machine's session
  if (id && (id !== state.selectedId || event)) void selectSession(id, event ? { around: event } : {});
}
window.addEventListener('hashchange', routeFromHash);

// ---------- live ----------

function onFrame(frame: StreamFrame): void {
  if (frame.type === 'session_updated' && frame.data) applySession(frame.data);
  else if (frame.type === 'new_event' && frame.data) appendLive(frame.data);
  else if (frame.type === 'sessions_changed') {
    const ids = frame.data?.sessionIds ?? [];
    void refreshSessions(ids);
  }
}

const refreshSessions = mergedRefresh(async (ids) => {
  const filter = { ...state.filter };
  const [page, trees] = await Promise.all([api.sessions(filter, null), ids.length ? api.trees(filter, ids) : Promise.resolve({ sessions: [] as SessionListRow[] })]);
  if (JSON.stringify(filter) === JSON.stringify(state.filter)) {
    applyTrees([...page.sessions, ...trees.sessions]);
    renderList();
  }
  for (const id of ids) await catchUp(id);
});

async function start(): Promise<void> {
  buildLayout();
  setupNotifications();
  connectStream({
    frame: onFrame,
    open: () => {
      ui.conn.textContent = 'live';
      ui.conn.classList.add('live');
    },
    error: () => {
      ui.conn.textContent = 'reconnecting…';
      ui.conn.classList.remove('live');
    },
  });
  const [needs, projects] = await Promise.all([api.needsYou(), api.projects().catch(() => ({ projects: [] as Project[] }))]);
  for (const s of needs.sessions) {
    state.sessions.set(s.id, s);
    const key = needsYouOf(s)?.key;
    if (key !== undefined) state.notified.add(key); // already pending when the page opened
  }
  state.projects = projects.projects;
  renderFilters();
  await reloadList();
  if (location.hash.includes('session=')) routeFromHash();
  else {
    // Open the first session shown (one that needs you, else the most recent).
    const first = visibleOrder()[0];
    if (first) void selectSession(first);
    else showEmptyMain();
  }
}

void start();

// For panels bundled into the same script (and tests): the page's hooks.
(window as unknown as { agentMonitorDashboard: unknown }).agentMonitorDashboard = { registerPanel, selectSession };
