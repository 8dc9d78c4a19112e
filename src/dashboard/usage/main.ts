/**
 * Entry of build/agent-monitor/public/usage.js (loaded by the dashboard helpers patch next to the
 * typed dashboard, src/dashboard/main.ts). Once the dashboard is up (`window.agentMonitorDashboard`):
 *   - a "Usage" panel in every session view (registerPanel): the session's tokens and cost,
 *     per-turn charts, gauges, its subagents and tool calls, folded into one summary line;
 *   - a "Usage & cost" button in the top bar that shows the overview in the main area: daily
 *     chart, tool statistics, the session tree with subagents, the pricing editor.
 * The overview refreshes on the live stream's session frames, at most every 2 s.
 */
import { createUsageApi } from './api.js';
import { costBadge, el, tokens } from './format.js';
import { mountUsage } from './index.js';
import { mountSessionUsage } from './session-panel.js';

interface DashboardHooks {
  registerPanel(panel: { id: string; render(mount: HTMLElement, session: { id: string }): void | Promise<void> }): void;
  selectSession(id: string): Promise<void>;
}

function dashboard(): DashboardHooks | null {
  return (window as unknown as { agentMonitorDashboard?: DashboardHooks }).agentMonitorDashboard ?? null;
}

function addStylesheet(): void {
  // After the dashboard built its layout (it drops stylesheets it does not own while doing so).
  if (document.querySelector('link[href="/usage.css"]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/usage.css';
  document.head.append(link);
}

function start(dash: DashboardHooks): void {
  addStylesheet();
  const api = createUsageApi();
  const select = (id: string): void => void dash.selectSession(id);

  dash.registerPanel({
    id: 'usage',
    render: async (mount, session) => {
      const details = el('details', 'usage-session-panel');
      const summary = el('summary', undefined, 'Usage & cost');
      const body = el('div', 'usage-session');
      details.append(summary, body);
      mount.replaceChildren(details);
      const panel = mountSessionUsage(body, api, select);
      let drawn = false;
      details.addEventListener('toggle', () => {
        if (details.open && !drawn) {
          drawn = true;
          void panel.show(session.id);
        }
      });
      // The one-line summary is filled at once; the charts only when opened.
      const d = await api.session(session.id).catch(() => null);
      const s = d?.session;
      if (!s) return;
      summary.replaceChildren(`Usage & cost · ${tokens(s.total.tokens.total)} tokens `, costBadge(s.total.cost, s.total.unpricedTokens));
      if (s.children.length) summary.append(` · ${s.children.length} subagent${s.children.length > 1 ? 's' : ''}`);
    },
  });

  const overview = el('div', 'usage-overview');
  const view = mountUsage(overview, api, select);
  const button = el('button', 'usage-open ghost', 'Usage & cost');
  button.type = 'button';
  button.addEventListener('click', () => {
    const main = document.querySelector('main') ?? document.body;
    main.replaceChildren(overview);
    void view.refresh();
  });
  document.querySelector('header')?.append(button);

  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = (): void => {
    if (timer || !overview.isConnected) return;
    timer = setTimeout(() => {
      timer = null;
      if (overview.isConnected) void view.refresh();
    }, 2_000);
  };
  try {
    const es = new EventSource('/api/stream');
    es.onmessage = (e: MessageEvent<string>) => {
      if (/"type":"(sessions_changed|session_updated)"/.test(e.data)) schedule();
    };
  } catch {
    // no live stream: the overview shows what was there when opened
  }
  (window as unknown as { agentMonitorUsage?: unknown }).agentMonitorUsage = view;
}

// The dashboard script loads in parallel with this one: wait for its hooks (up to 30 s).
const deadline = Date.now() + 30_000;
(function waitForDashboard(): void {
  const dash = dashboard();
  if (dash) start(dash);
  else if (Date.now() < deadline) setTimeout(waitForDashboard, 25);
})();
