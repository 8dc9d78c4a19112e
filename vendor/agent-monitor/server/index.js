'use strict';

// agent-monitor: a live dashboard for Claude Code sessions.
// Claude Code hooks POST events here; the dashboard reads them back and listens on /api/stream.

const http = require('http');
const fs = require('fs');
const path = require('path');
const { db, stmts } = require('./db');
const { handleHookPost, sendJson } = require('./routes/hooks');
const { handleApiGet } = require('./routes/api');
const { subscribe, closeAll } = require('./lib/stream');
const pkg = require('../package.json');

const PORT = Number(process.env.PORT) || 4820;
const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;
const PUBLIC_DIR = path.join(__dirname, '..', 'public');
const STARTED_AT = Date.now();

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Only loopback names may talk to us (DNS rebinding).
function hostAllowed(req) {
  const host = String(req.headers.host || '').replace(/:\d+$/, '');
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function serveStatic(res, pathname) {
  const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.normalize(path.join(PUBLIC_DIR, rel));
  if (!file.startsWith(PUBLIC_DIR + path.sep)) return sendJson(res, 404, { error: 'not found' });
  fs.readFile(file, (err, buf) => {
    if (err) return sendJson(res, 404, { error: 'not found' });
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
    });
    res.end(buf);
  });
}

async function handleRequest(req, res) {
  if (!hostAllowed(req)) return sendJson(res, 403, { error: 'forbidden host' });
  const url = new URL(req.url, `http://${req.headers.host}`);

  if (req.method === 'POST' && url.pathname === '/api/hooks/event') {
    let body;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      return sendJson(res, err.status || 400, { error: err.message });
    }
    return handleHookPost(req, res, body);
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });

  if (url.pathname === '/api/health') {
    return sendJson(res, 200, {
      status: 'ok',
      version: pkg.version,
      uptime_s: Math.round((Date.now() - STARTED_AT) / 1000),
      sessions: stmts.countSessions.get().n,
      events: stmts.countEvents.get().n,
    });
  }
  if (url.pathname === '/api/stream') return subscribe(req, res);
  if (url.pathname.startsWith('/api/')) {
    if (handleApiGet(req, res, url) === false) sendJson(res, 404, { error: 'not found' });
    return undefined;
  }
  return serveStatic(res, url.pathname);
}

const server = http.createServer((req, res) => {
  handleRequest(req, res).catch((err) => {
    console.error('[agent-monitor] request failed:', err);
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
  });
});

function shutdown() {
  closeAll();
  server.close(() => {
    db.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

server.listen(PORT, HOST, () => {
  console.log(`[agent-monitor] v${pkg.version} listening on http://${HOST}:${server.address().port}`);
});

module.exports = { server };
