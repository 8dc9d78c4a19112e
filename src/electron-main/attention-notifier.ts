/**
 * Desktop notifications for sessions that need the user (docs/contracts.md "Attention"): one
 * Electron `Notification` per pending request (keyed by the request's id, so an update of the
 * same request never notifies again), none while the `notificationsEnabled` setting is off, and a
 * click that shows the host window with that session selected. The number of sessions waiting is
 * put on the dock/taskbar badge where the platform has one (`app.setBadgeCount`).
 *
 * Fed by src/core/attention-feed.ts; Electron is only touched through `Notification` and `app`,
 * so test/electron-main/attention-notifier.test.ts drives it with `electron` mocked.
 */
import { app, Notification } from 'electron';
import type { AttentionSession } from '../core/attention-feed.js';

export interface AttentionNotifierOptions {
  /** Read on every new request: the setting can change at any time. */
  enabled: () => boolean;
  /** Show the host window with this session selected. */
  showSession: (sessionId: string) => void;
  log?: (line: string) => void;
}

export interface AttentionNotifier {
  /** A session row from the feed; `initial` rows were already pending when the feed connected. */
  update(session: AttentionSession, initial?: boolean): void;
  /** Sessions currently waiting on the user. */
  count(): number;
  /** The sidecar went away: nothing is known to be pending any more. */
  reset(): void;
}

interface Pending {
  key: number;
  kind: string;
  tool: string | null;
  detail: string;
}

function parsePending(value: string | null): Pending | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as Partial<Pending>;
    return typeof v.key === 'number' && typeof v.detail === 'string' ? { key: v.key, kind: String(v.kind ?? 'approval'), tool: v.tool ?? null, detail: v.detail } : null;
  } catch {
    return null;
  }
}

function folderName(cwd: string | null): string {
  if (!cwd) return 'an unknown folder';
  const parts = cwd.split(/[\\/]/).filter(Boolean);
  return parts.slice(-2).join('/') || cwd;
}

export function notificationText(session: AttentionSession, p: Pending): { title: string; body: string } {
  const agent = session.harness === 'codex' ? 'Codex' : 'Claude Code';
  const what = p.kind === 'approval' ? 'needs your approval' : p.kind === 'question' ? 'has a question' : 'is waiting for you';
  return { title: `${agent} ${what}`, body: `${p.tool ? `${p.tool}: ` : ''}${p.detail}\nin ${folderName(session.cwd)}` };
}

export function createAttentionNotifier({ enabled, showSession, log = () => undefined }: AttentionNotifierOptions): AttentionNotifier {
  const waiting = new Map<string, number>(); // session id → key of its pending request
  const notified = new Set<number>();
  // Live references: a garbage-collected Notification loses its click handler.
  const shown = new Map<number, Notification>();

  const setBadge = (): void => {
    try {
      app.setBadgeCount?.(waiting.size);
    } catch (err) {
      log(`badge not set: ${(err as Error).message}`);
    }
  };

  return {
    update(session, initial = false) {
      const p = parsePending(session.needs_you);
      const before = waiting.get(session.id);
      if (!p) {
        if (before !== undefined) {
          waiting.delete(session.id);
          shown.get(before)?.close();
          shown.delete(before);
          setBadge();
        }
        return;
      }
      if (before !== p.key) {
        waiting.set(session.id, p.key);
        if (before !== undefined) {
          shown.get(before)?.close();
          shown.delete(before);
        }
        setBadge();
      }
      if (notified.has(p.key)) return;
      notified.add(p.key);
      // Already pending when we connected: shown by the badge and the dashboard, not announced.
      if (initial || !enabled()) return;
      if (!Notification.isSupported()) {
        log('desktop notifications are not supported on this system');
        return;
      }
      const n = new Notification(notificationText(session, p));
      n.on('click', () => showSession(session.id));
      n.on('close', () => shown.delete(p.key));
      shown.set(p.key, n);
      n.show();
    },
    count: () => waiting.size,
    reset() {
      waiting.clear();
      for (const n of shown.values()) n.close();
      shown.clear();
      setBadge();
    },
  };
}
