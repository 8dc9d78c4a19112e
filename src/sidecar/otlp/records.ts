/**
 * Stored facts → OpenTelemetry SDK records (the `ReadableLogRecord` of @opentelemetry/sdk-logs and
 * the `ReadableSpan` of @opentelemetry/sdk-trace), which the official OTLP/HTTP protobuf exporters
 * then encode and send. Pure: rows in, records out (docs/contracts.md "OpenTelemetry export").
 *
 * - every stored event (deduplicated `events` row) → one log record;
 * - every tool call's end (PostToolUse / PostToolUseFailure) → one `execute_tool <tool>` span,
 *   from its PreToolUse (same call id) to its end;
 * - every model response with token counts (`usage_records`) → one `chat <model>` span carrying
 *   `gen_ai.usage.*`.
 *
 * Text (prompts, commands, tool input and output, answers, summaries) is included only when the
 * user opted in (`shareText`); otherwise records carry names, ids, times, tool names and counts.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber, type LogAttributes } from '@opentelemetry/api-logs';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { toolSpanIdFor, traceIdFor, usageSpanIdFor } from './ids.js';
import * as N from './names.js';
import type { UsageRecordRow } from '../usage/records.js';

/** Longest text attribute we send (a tool's output can be megabytes). */
export const MAX_TEXT_CHARS = 8 * 1024;

export interface EventRow {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  summary: string | null;
  data: string | null;
  created_at: string;
  dedup_key: string | null;
  harness: string | null;
  model: string | null;
  parent_session_id: string | null;
}

/** The columns of a usage record a span needs (src/sidecar/otlp/exporter.ts selects these). */
export type UsageRow = Omit<UsageRecordRow, 'turn_id'>;

export interface ExportIdentity {
  machineId: string;
  machineName: string;
}

export interface RecordFactory {
  log(row: EventRow): ReadableLogRecord;
  toolSpan(row: EventRow, startedAt: string | null): ReadableSpan;
  usageSpan(row: UsageRow): ReadableSpan;
}

const SCOPE = { name: N.SCOPE_NAME };

export function hrTimeOf(iso: string): HrTime {
  const ms = Date.parse(iso);
  const safe = Number.isFinite(ms) ? ms : 0;
  return [Math.floor(safe / 1000), Math.round((safe % 1000) * 1e6)];
}

function durationOf(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let n = end[1] - start[1];
  if (n < 0) {
    s -= 1;
    n += 1e9;
  }
  return s < 0 ? [0, 0] : [s, n];
}

function parseData(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS - 1)}…` : text;
}

function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return clip(typeof value === 'string' ? value : JSON.stringify(value));
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `claude` → Claude Code (Anthropic), `codex` → Codex CLI (OpenAI). */
function agentOf(harness: string | null): { agent: string; agentName: string; provider: string } {
  return harness === 'codex'
    ? { agent: 'codex', agentName: 'codex', provider: N.PROVIDER_OPENAI }
    : { agent: 'claude', agentName: 'claude-code', provider: N.PROVIDER_ANTHROPIC };
}

export function recordIdOf(row: Pick<EventRow, 'session_id' | 'dedup_key' | 'id'>): string {
  // A row without a dedup key (an upstream row from before the host schema) has only its local id.
  return `${row.session_id}:${row.dedup_key ?? `local-${row.id}`}`;
}

/**
 * The record factory of one sidecar. Resource (per agent, since one machine runs both):
 * `service.name` = `agent-monitor` (the producer: the agents' own OpenTelemetry output uses
 * their names, and a backend must not mix the two streams), `service.instance.id` and
 * `agent_monitor.machine.id` = the machine id, `host.name`, `gen_ai.agent.name` and
 * `agent_monitor.agent` = which agent's activity it is.
 */
export function createRecordFactory({ identity, shareText }: { identity: ExportIdentity; shareText: boolean }): RecordFactory {
  const resources = new Map<string, Resource>();
  const resourceFor = (harness: string | null): Resource => {
    const { agent, agentName } = agentOf(harness);
    let r = resources.get(agent);
    if (!r) {
      r = resourceFromAttributes({
        [N.SERVICE_NAME]: N.SERVICE_NAME_VALUE,
        [N.SERVICE_INSTANCE_ID]: identity.machineId,
        [N.HOST_NAME]: identity.machineName,
        [N.AM_MACHINE_ID]: identity.machineId,
        [N.GEN_AI_AGENT_NAME]: agentName,
        [N.AM_AGENT]: agent,
      });
      resources.set(agent, r);
    }
    return r;
  };

  const common = (row: { session_id: string; harness: string | null }): Attributes => ({
    [N.GEN_AI_CONVERSATION_ID]: row.session_id,
    [N.GEN_AI_PROVIDER_NAME]: agentOf(row.harness).provider,
  });

  function log(row: EventRow): ReadableLogRecord {
    const data = parseData(row.data);
    const callId = str(data.tool_use_id);
    const recordId = recordIdOf(row);
    const attributes: LogAttributes = {
      ...common(row),
      [N.AM_RECORD_ID]: recordId,
      [N.AM_HOOK_TYPE]: row.hook_type,
    };
    if (row.dedup_key) attributes[N.AM_DEDUP_KEY] = row.dedup_key;
    if (row.tool_name) attributes[N.GEN_AI_TOOL_NAME] = row.tool_name;
    if (callId) attributes[N.GEN_AI_TOOL_CALL_ID] = callId;
    if (row.model) attributes[N.GEN_AI_REQUEST_MODEL] = row.model;
    if (row.parent_session_id) attributes[N.AM_PARENT_SESSION] = row.parent_session_id;
    const failed = row.hook_type === 'PostToolUseFailure' || row.hook_type === 'StopFailure';
    if (failed) attributes[N.ERROR_TYPE] = row.hook_type;
    if (shareText && row.summary) attributes[N.AM_SUMMARY] = clip(row.summary);
    const time = hrTimeOf(row.created_at);
    // A tool call's events point at its `execute_tool` span (same deterministic ids); the other
    // events carry no span (they have none) and correlate by gen_ai.conversation.id.
    const spanContext: SpanContext | null = callId
      ? { traceId: traceIdFor(row.session_id), spanId: toolSpanIdFor(row.session_id, callId, recordId), traceFlags: TraceFlags.SAMPLED }
      : null;
    return {
      hrTime: time,
      hrTimeObserved: time,
      ...(spanContext ? { spanContext } : {}),
      severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: failed ? 'ERROR' : 'INFO',
      eventName: `agent_monitor.${row.hook_type}`,
      ...(shareText && row.summary ? { body: clip(row.summary) } : {}),
      resource: resourceFor(row.harness),
      instrumentationScope: SCOPE,
      attributes,
      droppedAttributesCount: 0,
    };
  }

  function span(args: {
    name: string;
    kind: SpanKind;
    sessionId: string;
    spanId: string;
    start: HrTime;
    end: HrTime;
    attributes: Attributes;
    error: string | null;
    harness: string | null;
  }): ReadableSpan {
    const ctx: SpanContext = { traceId: traceIdFor(args.sessionId), spanId: args.spanId, traceFlags: TraceFlags.SAMPLED };
    return {
      name: args.name,
      kind: args.kind,
      spanContext: () => ctx,
      startTime: args.start,
      endTime: args.end,
      duration: durationOf(args.start, args.end),
      status: args.error ? { code: SpanStatusCode.ERROR, message: args.error } : { code: SpanStatusCode.UNSET },
      attributes: args.attributes,
      links: [],
      events: [],
      ended: true,
      resource: resourceFor(args.harness),
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  function toolSpan(row: EventRow, startedAt: string | null): ReadableSpan {
    const data = parseData(row.data);
    const callId = str(data.tool_use_id);
    const recordId = recordIdOf(row);
    const tool = row.tool_name ?? str(data.tool_name) ?? 'tool';
    const failed = row.hook_type === 'PostToolUseFailure';
    const attributes: Attributes = {
      ...common(row),
      [N.GEN_AI_OPERATION_NAME]: N.OP_EXECUTE_TOOL,
      [N.GEN_AI_TOOL_NAME]: tool,
      [N.AM_RECORD_ID]: recordId,
    };
    if (row.dedup_key) attributes[N.AM_DEDUP_KEY] = row.dedup_key;
    if (callId) attributes[N.GEN_AI_TOOL_CALL_ID] = callId;
    if (row.model) attributes[N.GEN_AI_REQUEST_MODEL] = row.model;
    if (failed) attributes[N.ERROR_TYPE] = 'PostToolUseFailure';
    if (shareText) {
      const args = textOf(data.tool_input);
      const result = textOf(failed ? (data.error ?? data.tool_response) : data.tool_response);
      if (args !== null) attributes[N.GEN_AI_TOOL_CALL_ARGUMENTS] = args;
      if (result !== null) attributes[N.GEN_AI_TOOL_CALL_RESULT] = result;
    }
    const end = hrTimeOf(row.created_at);
    return span({
      name: `${N.OP_EXECUTE_TOOL} ${tool}`,
      kind: SpanKind.INTERNAL,
      sessionId: row.session_id,
      spanId: toolSpanIdFor(row.session_id, callId, recordId),
      start: startedAt ? hrTimeOf(startedAt) : end,
      end,
      attributes,
      error: failed ? 'the tool call failed' : null,
      harness: row.harness,
    });
  }

  function usageSpan(row: UsageRow): ReadableSpan {
    const recordId = `${row.session_id}:${row.usage_key}`;
    const attributes: Attributes = {
      ...common(row),
      [N.GEN_AI_OPERATION_NAME]: N.OP_CHAT,
      [N.AM_RECORD_ID]: recordId,
      [N.AM_DEDUP_KEY]: row.usage_key,
      // Input as the convention counts it: uncached + cache reads + cache writes.
      [N.GEN_AI_USAGE_INPUT_TOKENS]: row.input_tokens + row.cache_read_tokens + row.cache_write_tokens,
      [N.GEN_AI_USAGE_OUTPUT_TOKENS]: row.output_tokens,
      [N.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: row.cache_read_tokens,
      [N.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: row.cache_write_tokens,
    };
    if (row.reasoning_tokens > 0) attributes[N.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = row.reasoning_tokens;
    if (row.model) {
      attributes[N.GEN_AI_REQUEST_MODEL] = row.model;
      attributes[N.GEN_AI_RESPONSE_MODEL] = row.model;
    }
    const at = hrTimeOf(row.at);
    return span({
      name: row.model ? `${N.OP_CHAT} ${row.model}` : N.OP_CHAT,
      kind: SpanKind.CLIENT,
      sessionId: row.session_id,
      spanId: usageSpanIdFor(recordId),
      start: at,
      end: at,
      attributes,
      error: null,
      harness: row.harness,
    });
  }

  return { log, toolSpan, usageSpan };
}
