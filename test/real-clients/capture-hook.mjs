#!/usr/bin/env node
// Test-only hook command: `node capture-hook.mjs <EventName> <out.jsonl>`.
// Reads the whole stdin (the hook payload; no trailing newline is guaranteed), then appends one
// line {"event", "raw", "at", "transcriptBytes"} to <out.jsonl>. `transcriptBytes` is the size of
// the payload's transcript_path at the moment the hook ran (-1 if it did not exist yet), so tests
// can see which rollout lines were already on disk. Prints nothing and exits 0: never steers.
import { appendFileSync, statSync } from 'node:fs';

const [event = '', out = ''] = process.argv.slice(2);
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const raw = Buffer.concat(chunks).toString('utf8');
  let transcriptBytes = null;
  try {
    const p = JSON.parse(raw);
    if (p && typeof p.transcript_path === 'string') {
      try {
        transcriptBytes = statSync(p.transcript_path).size;
      } catch {
        transcriptBytes = -1;
      }
    }
  } catch {
    /* not JSON: keep raw only */
  }
  if (out) appendFileSync(out, JSON.stringify({ event, raw, at: new Date().toISOString(), transcriptBytes }) + '\n');
  process.exit(0);
});
