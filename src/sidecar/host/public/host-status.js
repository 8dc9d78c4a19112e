// The dashboard's data-loss banner (loaded by the host-dashboard-helpers patch, served by the
// sidecar next to host.css). Polls GET /api/host/status and, when the sidecar is degraded or has
// data it could not keep, shows one line above the session list saying what and how much.
/* global document */
'use strict';
(function hostStatusBanner() {
  const banner = document.createElement('div');
  banner.id = 'host-status-banner';
  banner.setAttribute('role', 'status');
  banner.hidden = true;
  document.body.prepend(banner);

  function describe(s) {
    const parts = [];
    if (s.health && s.health.status === 'degraded') parts.push(...s.health.reasons);
    const sp = s.spool || {};
    if (sp.dropped > 0) parts.push(`${sp.dropped} event(s) dropped by the hook handlers (spool full or unwritable)`);
    if (sp.quarantined > 0) parts.push(`${sp.quarantined} spooled event(s) could not be stored and are kept in spool/quarantined.jsonl`);
    if (sp.rejected > 0) parts.push(`${sp.rejected} malformed spool line(s) kept in spool/rejected.jsonl`);
    const po = s.posts || {};
    if (po.dropped > 0) parts.push(`${po.dropped} Claude HTTP hook event(s) could be neither stored nor spooled`);
    const w = s.watcher || {};
    if (w.malformedLines > 0) parts.push(`${w.malformedLines} rollout line(s) skipped as malformed`);
    return parts;
  }

  async function refresh() {
    try {
      const res = await fetch('/api/host/status', { headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const parts = describe(await res.json());
      // The dashboard (src/dashboard/main.ts) builds its page by replacing the body's children;
      // put the banner back on top whenever that took it away.
      if (!banner.isConnected) document.body.prepend(banner);
      banner.hidden = parts.length === 0;
      banner.dataset.level = parts.length && /degraded|cannot|unwritable|failing/.test(parts.join(' ')) ? 'error' : 'warn';
      banner.textContent = parts.length ? `Agent monitor: ${parts.join(' · ')}` : '';
    } catch (_) {
      // the sidecar is restarting: keep the last banner
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
