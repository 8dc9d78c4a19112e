'use strict';

// Server-sent events: every dashboard tab keeps one GET /api/stream open.

const clients = new Set();

function subscribe(req, res) {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.write(': connected\n\n');
  clients.add(res);
  const ping = setInterval(() => res.write(': ping\n\n'), 25000);
  req.on('close', () => {
    clearInterval(ping);
    clients.delete(res);
  });
}

function broadcast(type, data) {
  const frame = `data: ${JSON.stringify({ type, data, timestamp: new Date().toISOString() })}\n\n`;
  for (const res of clients) res.write(frame);
}

function closeAll() {
  for (const res of clients) res.end();
  clients.clear();
}

module.exports = { subscribe, broadcast, closeAll, clients };
