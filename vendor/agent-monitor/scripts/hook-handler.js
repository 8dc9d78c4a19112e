#!/usr/bin/env node
'use strict';

// Claude Code hook handler: `node hook-handler.js <HookEvent>`.
// Reads the hook payload from stdin and forwards it to the agent-monitor server.
// It must never block Claude Code and never print anything: it always exits 0.

const http = require('http');

const hookType = process.argv[2] || 'Unknown';
const PORT = Number(process.env.AGENT_MONITOR_PORT) || 4820;

function readStdin() {
  return new Promise((resolve) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', () => resolve(''));
  });
}

function parsePayload(text) {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch (_) {
    // fall through
  }
  return { raw: text };
}

function post(body) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        path: '/api/hooks/event',
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        resolve();
      },
    );
    req.on('error', () => resolve());
    // Resolve as soon as the body is flushed; the response does not matter to Claude Code.
    req.end(body, () => resolve());
  });
}

async function main() {
  const text = await readStdin();
  const data = parsePayload(text);
  await post(JSON.stringify({ hook_type: hookType, data }));
}

setTimeout(() => process.exit(0), 1500).unref();
main().then(
  () => process.exit(0),
  () => process.exit(0),
);
