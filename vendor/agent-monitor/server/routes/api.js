'use strict';

// Read-only JSON API used by the dashboard.

const { stmts } = require('../db');
const { sendJson } = require('./hooks');

function parseLimit(value, fallback, max) {
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n) || n <= 0) return fallback;
  return Math.min(n, max);
}

function handleApiGet(req, res, url) {
  if (url.pathname === '/api/sessions') {
    const limit = parseLimit(url.searchParams.get('limit'), 200, 1000);
    return sendJson(res, 200, { sessions: stmts.listSessions.all({ limit }) });
  }

  const m = /^\/api\/sessions\/([^/]+)(\/events)?$/.exec(url.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]);
    const session = stmts.getSession.get(id);
    if (!session) return sendJson(res, 404, { error: 'no such session' });
    if (!m[2]) return sendJson(res, 200, { session });
    const after = Number.parseInt(url.searchParams.get('after') || '0', 10) || 0;
    const limit = parseLimit(url.searchParams.get('limit'), 500, 5000);
    const events = stmts.listEvents.all({ session_id: id, after, limit }).map((e) => ({
      ...e,
      data: e.data ? JSON.parse(e.data) : null,
    }));
    return sendJson(res, 200, { session, events });
  }

  return false;
}

module.exports = { handleApiGet };
