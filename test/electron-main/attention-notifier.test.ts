/**
 * Desktop notifications for sessions that need the user, with `electron` mocked: one notification
 * per pending request, none repeated for the same one, none while the setting is off, a click
 * routed to the session, the badge count. The last test feeds the notifier from a real patched
 * sidecar through src/core/attention-feed.ts (hook posts → SSE → notification).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { electronState as h } from './_electron-mock.js';

vi.mock('electron', async () => (await import('./_electron-mock.js')).electronModule());

import { createAttentionNotifier } from '../../src/electron-main/attention-notifier.js';
import { startAttentionFeed, type AttentionSession } from '../../src/core/attention-feed.js';
import { postHook, startPatched } from '../../scripts/lib/servers.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

function session(id: string, pending: { key: number; detail: string; tool?: string } | null, harness = 'claude'): AttentionSession {
  return {
    id,
    harness,
    cwd: '/home/dev/src/shop-api',
    needs_you: pending ? JSON.stringify({ key: pending.key, kind: 'approval', tool: pending.tool ?? 'Bash', detail: pending.detail, since: new Date().toISOString(), count: 1 }) : null,
  };
}

beforeEach(() => {
  h.notifications.length = 0;
  h.badgeCounts.length = 0;
  h.notificationsSupported = true;
});

describe('attention notifier', () => {
  it('shows one notification per pending request and never repeats it', () => {
    const shown: string[] = [];
    const n = createAttentionNotifier({ enabled: () => true, showSession: (id) => shown.push(id) });
    n.update(session('s1', { key: 7, detail: 'rm -rf build/' }));
    n.update(session('s1', { key: 7, detail: 'rm -rf build/' })); // same request, updated row
    n.update(session('s1', { key: 7, detail: 'rm -rf build/' }));
    expect(h.notifications).toHaveLength(1);
    expect(h.notifications[0]!.shown).toBe(true);
    expect(h.notifications[0]!.options.title).toBe('Claude Code needs your approval');
    expect(h.notifications[0]!.options.body).toBe('Bash: rm -rf build/\nin src/shop-api');
    expect(n.count()).toBe(1);
    // Answered (cleared), then a new request in the same session: a new notification.
    n.update(session('s1', null));
    expect(h.notifications[0]!.closed).toBe(true);
    expect(n.count()).toBe(0);
    n.update(session('s1', { key: 9, detail: 'git push' }));
    expect(h.notifications).toHaveLength(2);
    // A second session waiting at the same time.
    n.update(session('s2', { key: 10, detail: 'npm publish' }, 'codex'));
    expect(h.notifications).toHaveLength(3);
    expect(h.notifications[2]!.options.title).toBe('Codex needs your approval');
    expect(h.badgeCounts).toEqual([1, 0, 1, 2]);
    expect(shown).toEqual([]);
  });

  it('a click shows the window with that session selected', () => {
    const shown: string[] = [];
    const n = createAttentionNotifier({ enabled: () => true, showSession: (id) => shown.push(id) });
    n.update(session('s1', { key: 1, detail: 'a' }));
    n.update(session('s2', { key: 2, detail: 'b' }));
    h.notifications[1]!.click();
    expect(shown).toEqual(['s2']);
  });

  it('shows none while the setting is off, and does not catch up when it is turned on', () => {
    let on = false;
    const n = createAttentionNotifier({ enabled: () => on, showSession: () => undefined });
    n.update(session('s1', { key: 1, detail: 'a' }));
    expect(h.notifications).toHaveLength(0);
    expect(n.count()).toBe(1); // the badge still counts it
    on = true;
    n.update(session('s1', { key: 1, detail: 'a' }));
    expect(h.notifications).toHaveLength(0);
    n.update(session('s1', { key: 2, detail: 'b' }));
    expect(h.notifications).toHaveLength(1);
  });

  it('requests already pending when the feed connected are counted, not announced', () => {
    const n = createAttentionNotifier({ enabled: () => true, showSession: () => undefined });
    n.update(session('s1', { key: 1, detail: 'a' }), true);
    expect(h.notifications).toHaveLength(0);
    expect(n.count()).toBe(1);
    n.reset();
    expect(n.count()).toBe(0);
    expect(h.badgeCounts.at(-1)).toBe(0);
  });

  it('follows a real sidecar: a PermissionRequest hook notifies once, its PostToolUse clears the badge', async () => {
    const sidecar = await startPatched({ dir: tempDir('am-notify-') });
    try {
      const shown: string[] = [];
      const n = createAttentionNotifier({ enabled: () => true, showSession: (id) => shown.push(id) });
      let ready = false;
      const feed = startAttentionFeed({ baseUrl: sidecar.url, onSession: (s, initial) => n.update(s, initial), onReady: () => (ready = true) });
      try {
        await waitFor('the feed to subscribe', () => ready);
        const base = { session_id: 'claude-live', cwd: '/home/dev/src/app' };
        let d = 0;
        const post = (t: string, data: Record<string, unknown>) => postHook(sidecar, t, { ...base, ...data, __delivery_id: `n-${++d}` });
        await post('PreToolUse', { tool_name: 'Bash', tool_use_id: 'toolu_9', tool_input: { command: 'touch notes.txt' } });
        await post('PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'touch notes.txt' } });
        await post('Notification', { notification_type: 'permission_prompt', message: 'Claude needs your permission to use Bash' });
        await waitFor('a notification', () => h.notifications.length === 1);
        expect(h.notifications[0]!.options.body).toContain('Bash: touch notes.txt');
        h.notifications[0]!.click();
        expect(shown).toEqual(['claude-live']);
        await post('PostToolUse', { tool_name: 'Bash', tool_use_id: 'toolu_9', tool_input: { command: 'touch notes.txt' }, tool_response: { stdout: '', stderr: '' } });
        await waitFor('the badge to clear', () => n.count() === 0);
        expect(h.notifications).toHaveLength(1);
      } finally {
        feed.close();
      }
    } finally {
      await sidecar.stop();
    }
  }, 60_000);
});
