/**
 * Rollout text generators shared by the rollout tests and the soak/fuzz suites (scripts/soak.ts,
 * scripts/fuzz.ts): a session_meta line, then one function_call + function_call_output pair per
 * call id `call-<i>`, so every stored event has a known dedup key (`pre:call-<i>`, `post:call-<i>`).
 */

export const ROLLOUT_SID = '019b4c2e-aaaa-7b44-8d15-3f9a0b1c2d3e';

/** `rollout-…-<sid>.jsonl`, the name Codex gives a session's file. */
export function rolloutName(sid = ROLLOUT_SID): string {
  return `rollout-2026-11-27T10-00-00-${sid}.jsonl`;
}

export function metaLine(sid = ROLLOUT_SID): string {
  return JSON.stringify({
    timestamp: '2026-11-27T10:00:00.000Z',
    type: 'session_meta',
    payload: { id: sid, timestamp: '2026-11-27T10:00:00.000Z', cwd: '/tmp/work', originator: 'codex_cli_rs', cli_version: '0.169.0' },
  });
}

/** The two lines of call `call-<i>` (or `<prefix><i>`). */
export function callLines(i: number, prefix = 'call-'): [string, string] {
  const ts = new Date(Date.UTC(2026, 10, 27, 10, 0, 1) + i * 10).toISOString();
  return [
    JSON.stringify({ timestamp: ts, type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: `echo ${i}` }), call_id: `${prefix}${i}` } }),
    JSON.stringify({ timestamp: ts, type: 'response_item', payload: { type: 'function_call_output', call_id: `${prefix}${i}`, output: `${i}\n` } }),
  ];
}

/** Lines of calls start … start+n-1, after a session_meta line unless `meta: false`. */
export function rolloutLines(start: number, n: number, opts: { meta?: boolean; sid?: string; prefix?: string } = {}): string[] {
  const out: string[] = opts.meta === false ? [] : [metaLine(opts.sid)];
  for (let i = start; i < start + n; i++) out.push(...callLines(i, opts.prefix));
  return out;
}

/** JSON text of arrays nested `depth` deep (built as text: a JS value that deep cannot be stringified). */
export function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A rollout line whose payload field `field` holds `deepJson(depth)`. */
export function deepRolloutLine(payload: Record<string, unknown>, field: string, depth: number): string {
  const head = JSON.stringify({ timestamp: '2026-11-27T10:00:05.000Z', type: 'response_item', payload: { ...payload, [field]: 0 } });
  // Replace the placeholder 0 (the last value of payload) with the deep text.
  const at = head.lastIndexOf(`"${field}":0}`);
  return `${head.slice(0, at)}"${field}":${deepJson(depth)}}}`;
}
