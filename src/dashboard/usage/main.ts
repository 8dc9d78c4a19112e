/**
 * Entry of build/agent-monitor/public/usage.js: mounts the usage panels below the dashboard and
 * follows the session selected in its list. Refreshes on the live stream's session frames, at
 * most every 2 s.
 */
import { createUsageApi } from './api.js';
import { mountUsage } from './index.js';

function start(): void {
  const host = document.querySelector('main') ?? document.body;
  const container = document.createElement('div');
  container.id = 'usage-root';
  host.after(container);
  const view = mountUsage(container, createUsageApi());
  void view.refresh();

  // Follow the dashboard's own selection (its list marks the selected row with .selected and data-id).
  const list = document.getElementById('session-list');
  let followed: string | null = null;
  const follow = (): void => {
    const id = list?.querySelector<HTMLElement>('li.selected')?.dataset.id ?? null;
    if (id && id !== followed) {
      followed = id;
      void view.select(id);
    }
  };
  if (list) new MutationObserver(follow).observe(list, { subtree: true, attributes: true, attributeFilter: ['class'], childList: true });
  follow();

  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void view.refresh();
    }, 2_000);
  };
  try {
    const es = new EventSource('/api/stream');
    es.onmessage = (e: MessageEvent<string>) => {
      if (/"type":"(sessions_changed|session_updated)"/.test(e.data)) schedule();
    };
  } catch {
    // no live stream: the panels still show what was there when loaded
  }
  (window as unknown as { agentMonitorUsage?: unknown }).agentMonitorUsage = view;
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
