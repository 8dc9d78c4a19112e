/**
 * Deterministic trace and span ids, so the same stored fact exported twice (a retry, a restart,
 * a second machine that imported the same files) carries the same ids and a backend can recognise
 * the repeat. W3C trace context ids: 16 bytes (trace) and 8 bytes (span), lowercase hex, never
 * all zero (an all-zero id is invalid and would be dropped).
 */
import { createHash } from 'node:crypto';

function hexOf(label: string, value: string, bytes: number): string {
  const hex = createHash('sha256').update(`${label}\0${value}`).digest('hex').slice(0, bytes * 2);
  return /^0+$/.test(hex) ? `${'0'.repeat(bytes * 2 - 1)}1` : hex;
}

/** One trace per conversation (session): every log and span of a session shares it. */
export function traceIdFor(sessionId: string): string {
  return hexOf('trace', sessionId, 16);
}

/**
 * The span of one tool call, keyed by its call id when it has one (so its PreToolUse/PostToolUse
 * logs point at it), else by the record id of the event that ended it.
 */
export function toolSpanIdFor(sessionId: string, callId: string | null, recordId: string): string {
  return callId ? hexOf('tool', `${sessionId}\0${callId}`, 8) : hexOf('record', recordId, 8);
}

/** The span of one model call (one usage record). */
export function usageSpanIdFor(recordId: string): string {
  return hexOf('usage', recordId, 8);
}
