/**
 * Codex `token_count` → usage records (docs/contracts.md "Token accounting").
 *
 * `info.total_token_usage` is cumulative per thread. Each step is stored as the difference to the
 * previous total, keyed by the new cumulative total: a repeated token_count line (same totals)
 * gives the same key and adds nothing, and a re-read of the file from byte 0 recomputes the same
 * keys and differences. The model is the one of the current turn (`turn_context`).
 */
import type { UsageRecord, UsageStateRecord } from './records.js';

type Obj = Record<string, unknown>;

export interface CodexUsageTotals {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  cacheWrite: number;
}

/** What the parser remembers between lines (part of its persisted JSON state). */
export interface CodexUsageState {
  sessionId: string | null;
  turnId: string | null;
  model: string | null;
  usageTotal?: CodexUsageTotals;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

function totals(u: Obj): CodexUsageTotals {
  return {
    input: num(u.input_tokens),
    cached: num(u.cached_input_tokens),
    output: num(u.output_tokens),
    reasoning: num(u.reasoning_output_tokens),
    cacheWrite: num(u.cache_write_input_tokens),
  };
}

const ZERO: CodexUsageTotals = { input: 0, cached: 0, output: 0, reasoning: 0, cacheWrite: 0 };

function hasWindow(rateLimits: unknown): boolean {
  return isObj(rateLimits) && (isObj(rateLimits.primary) || isObj(rateLimits.secondary));
}

/** Records for one `event_msg token_count` payload `p`. Mutates `state.usageTotal`. */
export function codexUsageRecords(state: CodexUsageState, p: Obj, at: string, file: string): Array<UsageRecord | UsageStateRecord> {
  const sessionId = state.sessionId;
  if (!sessionId) return [];
  const out: Array<UsageRecord | UsageStateRecord> = [];
  const info = isObj(p.info) ? p.info : null;
  const last = info && isObj(info.last_token_usage) ? info.last_token_usage : null;
  const contextWindow = info && typeof info.model_context_window === 'number' ? info.model_context_window : null;
  const contextTokens = last ? (typeof last.total_tokens === 'number' ? last.total_tokens : num(last.input_tokens) + num(last.output_tokens)) : null;

  if (info && isObj(info.total_token_usage)) {
    const total = totals(info.total_token_usage);
    let prev = state.usageTotal ?? ZERO;
    // Totals only grow within a thread; a smaller one means a fresh count (history rewritten).
    if (total.input < prev.input || total.output < prev.output || total.cached < prev.cached) prev = ZERO;
    const d = {
      input: total.input - prev.input,
      cached: total.cached - prev.cached,
      output: total.output - prev.output,
      reasoning: Math.max(0, total.reasoning - prev.reasoning),
      cacheWrite: Math.max(0, total.cacheWrite - prev.cacheWrite),
    };
    state.usageTotal = total;
    if (d.input > 0 || d.output > 0 || d.cached > 0 || d.cacheWrite > 0) {
      out.push({
        kind: 'usage',
        key: `codex:${sessionId}:${total.input}:${total.cached}:${total.output}:${total.reasoning}:${total.cacheWrite}`,
        sessionId,
        harness: 'codex',
        model: state.model,
        turnId: state.turnId,
        at,
        // OpenAI's input_tokens include the cached ones; stored net, like Anthropic's.
        input: Math.max(0, d.input - d.cached),
        output: d.output,
        cacheRead: d.cached,
        cacheWrite: d.cacheWrite,
        reasoning: d.reasoning,
        contextTokens,
        sourceFile: file,
      });
    }
  }
  const rateLimits = hasWindow(p.rate_limits) ? p.rate_limits : null;
  if (contextTokens !== null || contextWindow !== null || rateLimits !== null) {
    out.push({ kind: 'usage-state', sessionId, model: state.model, contextTokens, contextWindow, rateLimits, at });
  }
  return out;
}
