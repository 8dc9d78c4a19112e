// The dashboard's data-loss banner (loaded by the host-dashboard-helpers patch, served by the
// sidecar next to host.css). Polls GET /api/host/status and, when the sidecar is degraded or has
// data it could not keep, shows one line above the session list saying what and how much; also
// when team sync or the OTLP export is failing (with since when and how much waits).
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
    // Team sync / OTLP export: a line only while failing or backing off (nothing when off or healthy).
    const t = s.team_sync || {};
    if (t.state === 'offline' || t.state === 'error') parts.push(failing('Team sync', t));
    if (t.skipped > 0) parts.push(`${count(t.skipped)} row(s) refused by the team PostgreSQL (skipped; see the sidecar log)`);
    const o = s.otlp || {};
    if (o.state === 'retrying' || o.state === 'error') parts.push(failing('OTLP export', o));
    return parts;
  }

  function count(n) {
    return Number(n).toLocaleString('en-US');
  }

  // e.g. "Team sync: failing since 19:02 (connect ECONNREFUSED 127.0.0.1:5432) · 1,234 waiting";
  // last_error comes redacted from the sidecar, and textContent never renders it as markup.
  function failing(what, x) {
    const since = x.failing_since ? new Date(x.failing_since) : null;
    const when = since && !Number.isNaN(since.getTime()) ? ` since ${since.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : '';
    const why = x.last_error ? ` (${x.last_error})` : '';
    const waiting = typeof x.pending === 'number' ? ` · ${count(x.pending)} waiting` : '';
    return `${what}: failing${when}${why}${waiting}`;
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
