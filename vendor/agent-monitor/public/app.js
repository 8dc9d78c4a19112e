'use strict';

// Dashboard: session list + timeline, kept live by /api/stream.

const state = {
  sessions: new Map(),
  selectedId: null,
  events: [],
};

const $ = (id) => document.getElementById(id);

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function fmtAgo(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function fmtTokens(n) {
  if (!n) return '0';
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderSessionCard(session) {
  const li = el('li', 'session-card');
  li.tabIndex = 0;
  li.dataset.id = session.id;
  if (session.id === state.selectedId) li.classList.add('selected');

  const top = el('div', 'row');
  const title = el('span', 'id', session.name || session.id.slice(0, 8));
  title.title = session.id;
  top.append(title, el('span', `status ${session.status}`, session.status));

  const tokens = session.input_tokens + session.output_tokens + session.cache_read_tokens;
  const meta = el('div', 'meta', [
    session.model || 'model unknown',
    `${fmtTokens(tokens)} tokens`,
    `${session.event_count} events`,
    `started ${fmtTime(session.started_at)}`,
    `updated ${fmtAgo(session.updated_at)}`,
  ].join(' · '));
  const cwd = el('div', 'meta', session.cwd || '');

  li.append(top, meta, cwd);
  li.addEventListener('click', () => selectSession(session.id));
  li.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      selectSession(session.id);
    }
  });
  return li;
}

function visibleSessions() {
  return [...state.sessions.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
}

function renderSessions() {
  const list = $('session-list');
  const sessions = visibleSessions();
  list.replaceChildren(...sessions.map(renderSessionCard));
  $('session-count').textContent = `(${sessions.length})`;
  $('empty').hidden = sessions.length > 0;
}

function renderEvent(event) {
  const li = el('li', 'event');
  li.dataset.id = event.id;
  li.append(
    el('span', 'time', fmtTime(event.created_at)),
    el('span', 'type', event.tool_name ? `${event.hook_type} · ${event.tool_name}` : event.hook_type),
    el('span', 'summary', event.summary || ''),
  );
  return li;
}

function renderTimeline() {
  const session = state.sessions.get(state.selectedId);
  $('session-detail').textContent = session
    ? `${session.id} — ${session.cwd || 'unknown folder'} — in ${fmtTokens(session.input_tokens)}, out ${fmtTokens(session.output_tokens)}, cache ${fmtTokens(session.cache_read_tokens)}`
    : 'Select a session to see its events.';
  $('event-list').replaceChildren(...state.events.map(renderEvent));
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function loadSessions() {
  const { sessions } = await getJson('/api/sessions');
  state.sessions = new Map(sessions.map((s) => [s.id, s]));
  if (!state.selectedId && sessions.length) state.selectedId = sessions[0].id;
  renderSessions();
  if (state.selectedId) await loadEvents();
  else renderTimeline();
}

async function loadEvents() {
  if (!state.selectedId) return;
  const { events } = await getJson(`/api/sessions/${encodeURIComponent(state.selectedId)}/events`);
  state.events = events;
  renderTimeline();
}

function selectSession(id) {
  state.selectedId = id;
  renderSessions();
  loadEvents().catch(console.error);
}

let refreshTimer = null;
function scheduleRefresh() {
  // Coalesce bursts of updates into one reload.
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    loadSessions().catch(console.error);
  }, 100);
}

function connect() {
  const source = new EventSource('/api/stream');
  source.onopen = () => {
    $('conn').textContent = 'live';
    $('conn').classList.add('live');
  };
  source.onerror = () => {
    $('conn').textContent = 'reconnecting…';
    $('conn').classList.remove('live');
  };
  source.onmessage = (msg) => {
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch (_) {
      return;
    }
    if (frame.type === 'session_updated' && frame.data) {
      state.sessions.set(frame.data.id, frame.data);
      renderSessions();
    } else {
      scheduleRefresh();
    }
    if (frame.type === 'new_event' && frame.data && frame.data.session_id === state.selectedId) {
      loadEvents().catch(console.error);
    }
  };
}

loadSessions().catch(console.error);
connect();
