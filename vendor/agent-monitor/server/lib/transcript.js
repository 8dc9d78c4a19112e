'use strict';

// Reads a Claude Code transcript (JSONL) and sums the token usage of its assistant turns.
// Claude Code writes one line per message; assistant lines carry message.model and message.usage.

const fs = require('fs');

function emptyUsage() {
  return { model: null, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
}

function addLine(acc, line, seen) {
  if (!line) return;
  let entry;
  try {
    entry = JSON.parse(line);
  } catch (_) {
    return;
  }
  if (!entry || entry.type !== 'assistant' || !entry.message) return;
  const msg = entry.message;
  // Streaming writes the same message id more than once; count each message once.
  const key = msg.id || entry.uuid;
  if (key) {
    if (seen.has(key)) return;
    seen.add(key);
  }
  if (typeof msg.model === 'string' && msg.model && msg.model !== '<synthetic>') acc.model = msg.model;
  const u = msg.usage;
  if (!u) return;
  acc.input_tokens += Number(u.input_tokens) || 0;
  acc.output_tokens += Number(u.output_tokens) || 0;
  acc.cache_read_tokens += Number(u.cache_read_input_tokens) || 0;
  acc.cache_write_tokens += Number(u.cache_creation_input_tokens) || 0;
}

/** Returns {model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens} or null. */
function readTranscriptUsage(transcriptPath) {
  if (!transcriptPath || typeof transcriptPath !== 'string') return null;
  let text;
  try {
    text = fs.readFileSync(transcriptPath, 'utf8');
  } catch (_) {
    return null;
  }
  const acc = emptyUsage();
  const seen = new Set();
  for (const line of text.split('\n')) addLine(acc, line, seen);
  return acc;
}

module.exports = { readTranscriptUsage, addLine, emptyUsage };
