/**
 * The OpenTelemetry export loop (on when AGENT_MONITOR_OTLP_ENDPOINT is set; docs/contracts.md
 * "OpenTelemetry export"). It reads the next batch after each stream's cursor in the local SQLite
 * (src/sidecar/otlp/outbox.ts), turns it into SDK records (records.ts), hands it to the official
 * OTLP/HTTP protobuf exporters (@opentelemetry/exporter-logs-otlp-proto,
 * @opentelemetry/exporter-trace-otlp-proto) and moves the cursor only once the exporter reported
 * success. A failed export is retried with a doubling delay; nothing is dropped, and a restart
 * repeats at most the batch that was in flight (its ids are deterministic, so a receiver can
 * drop the repeat). One batch at a time, on the sidecar's own connection.
 */
import type Database from 'better-sqlite3';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { dedupKeys } from '../../shared/dedup.js';
import { redactSecretsIn, redactUrl } from '../../shared/redact-url.js';
import { OTLP_LOGS_STREAM, OTLP_SPANS_STREAM, ensureOutbox, ensureSpanQueue, readCursor, writeCursor } from './outbox.js';
import { withWriteTurn, type WriteTurn } from '../write-turn.js';
import { createRecordFactory, type EventRow, type ExportIdentity, type UsageRow } from './records.js';

export type OtlpState = 'off' | 'starting' | 'idle' | 'exporting' | 'retrying' | 'error';

/** What `GET /api/host/status` shows under `otlp`. */
export interface OtlpStatus {
  state: OtlpState;
  /** The endpoint with any password in it masked; null when off. */
  endpoint: string | null;
  share_text: boolean;
  last_export_at: string | null;
  /** Stored facts not exported yet: log records + spans. */
  pending: number | null;
  pending_logs: number | null;
  pending_spans: number | null;
  exported: { logs: number; spans: number };
  last_error: string | null;
  /** ISO time of the first failure of the current run of failures (null: not failing). */
  failing_since: string | null;
  next_retry_at: string | null;
}

export const OFF_STATUS: OtlpStatus = Object.freeze({
  state: 'off',
  endpoint: null,
  share_text: false,
  last_export_at: null,
  pending: null,
  pending_logs: null,
  pending_spans: null,
  exported: { logs: 0, spans: 0 },
  last_error: null,
  failing_since: null,
  next_retry_at: null,
});

export interface OtlpExportOptions {
  db: Database.Database;
  /** Base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`); `/v1/logs` and `/v1/traces` are appended. */
  endpoint: string;
  shareText: boolean;
  identity: ExportIdentity;
  /** Records per export request. Default 512. */
  batchSize?: number;
  /** How often an idle loop looks for new rows. Default 1 s. */
  pollMs?: number;
  /** First retry delay; doubles per failure up to `maxRetryMs`. Defaults 1 s and 60 s. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Per-request timeout of the exporters. Default 10 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** The HTTP thread's claim on the write lock (src/sidecar/write-turn.ts), for the cursor writes. */
  writeTurn?: WriteTurn;
}

export interface OtlpExport {
  status(): OtlpStatus;
  /** Look for new rows now (instead of at the next poll). */
  nudge(): void;
  stop(): Promise<void>;
}

/** `http(s)://host[:port][/prefix]` → the two signal URLs. Throws a clear error for anything else. */
export function signalUrls(endpoint: string): { logs: string; traces: string } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`AGENT_MONITOR_OTLP_ENDPOINT is not a URL: ${redactUrl(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`AGENT_MONITOR_OTLP_ENDPOINT must be an http(s) URL (OTLP/HTTP), got ${url.protocol}`);
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return { logs: `${base}/v1/logs`, traces: `${base}/v1/traces` };
}

const EVENT_COLUMNS = `e.id, e.session_id, e.hook_type, e.tool_name, e.summary, e.data, e.created_at, e.dedup_key,
                       s.harness, s.model, s.parent_session_id`;

function exportWith<T>(exporter: { export(items: T[], done: (r: ExportResult) => void): void }, items: T[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(items, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('the exporter reported a failure'));
    });
  });
}

export function startOtlpExport(opts: OtlpExportOptions): OtlpExport {
  const { db, shareText, identity, log = () => {} } = opts;
  const batchSize = opts.batchSize ?? 512;
  const pollMs = opts.pollMs ?? 1000;
  const retryMs = opts.retryMs ?? 1000;
  const maxRetryMs = opts.maxRetryMs ?? 60_000;
  const endpointShown = redactUrl(opts.endpoint);
  const status: OtlpStatus = { ...OFF_STATUS, exported: { logs: 0, spans: 0 }, state: 'starting', endpoint: endpointShown, share_text: shareText };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let delay = retryMs;

  let urls: { logs: string; traces: string };
  try {
    urls = signalUrls(opts.endpoint);
    ensureOutbox(db);
    const { backfilled } = ensureSpanQueue(db);
    if (backfilled > 0) log(`[otlp] queued ${backfilled} spans stored before the export was on`);
  } catch (err) {
    status.state = 'error';
    status.last_error = redactSecretsIn((err as Error).message, opts.endpoint);
    status.failing_since = new Date().toISOString();
    log(`[otlp] not started: ${status.last_error}`);
    return { status: () => ({ ...status }), nudge: () => {}, stop: () => Promise.resolve() };
  }
  const timeoutMillis = opts.timeoutMs ?? 10_000;
  const logExporter = new OTLPLogExporter({ url: urls.logs, timeoutMillis });
  const traceExporter = new OTLPTraceExporter({ url: urls.traces, timeoutMillis });
  const factory = createRecordFactory({ identity, shareText });

  const selectEvents = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events e LEFT JOIN sessions s ON s.id = e.session_id
                                   WHERE e.id > ? ORDER BY e.id LIMIT ?`);
  const selectQueue = db.prepare('SELECT seq, kind, ref FROM otlp_span_queue WHERE seq > ? ORDER BY seq LIMIT ?');
  const selectEvent = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events e LEFT JOIN sessions s ON s.id = e.session_id WHERE e.id = ?`);
  const selectPre = db.prepare(`SELECT created_at FROM events WHERE session_id = ? AND dedup_key = ?`);
  const selectUsage = db.prepare(`SELECT usage_key, session_id, harness, model, at, input_tokens, output_tokens, cache_read_tokens,
                                         cache_write_tokens, reasoning_tokens FROM usage_records WHERE usage_key = ?`);
  const countEvents = db.prepare('SELECT COUNT(*) AS n FROM events WHERE id > ?');
  const countQueue = db.prepare('SELECT COUNT(*) AS n FROM otlp_span_queue WHERE seq > ?');

  function toolStart(row: EventRow): string | null {
    try {
      const callId = (JSON.parse(row.data ?? '{}') as { tool_use_id?: unknown }).tool_use_id;
      if (typeof callId !== 'string' || callId === '') return null;
      const pre = selectPre.get(row.session_id, dedupKeys.pre(callId)) as { created_at: string } | undefined;
      return pre?.created_at ?? null;
    } catch {
      return null;
    }
  }

  /** One batch of each stream; true when a stream had a full batch (more is waiting). */
  async function cycle(): Promise<boolean> {
    let more = false;
    const logCursor = readCursor(db, OTLP_LOGS_STREAM);
    const rows = selectEvents.all(logCursor, batchSize) as EventRow[];
    if (rows.length > 0) {
      const records: ReadableLogRecord[] = rows.map((r) => factory.log(r));
      status.state = 'exporting';
      await exportWith(logExporter, records);
      withWriteTurn(opts.writeTurn, () => writeCursor(db, OTLP_LOGS_STREAM, rows[rows.length - 1]!.id));
      status.exported.logs += records.length;
      status.last_export_at = new Date().toISOString();
      more ||= rows.length === batchSize;
    }
    const spanCursor = readCursor(db, OTLP_SPANS_STREAM);
    const queued = selectQueue.all(spanCursor, batchSize) as Array<{ seq: number; kind: string; ref: string }>;
    if (queued.length > 0) {
      const spans: ReadableSpan[] = [];
      for (const q of queued) {
        if (q.kind === 'tool') {
          const row = selectEvent.get(Number(q.ref)) as EventRow | undefined;
          if (row) spans.push(factory.toolSpan(row, toolStart(row)));
        } else if (q.kind === 'usage') {
          const row = selectUsage.get(q.ref) as UsageRow | undefined;
          if (row) spans.push(factory.usageSpan(row));
        }
      }
      status.state = 'exporting';
      if (spans.length > 0) await exportWith(traceExporter, spans);
      withWriteTurn(opts.writeTurn, () => writeCursor(db, OTLP_SPANS_STREAM, queued[queued.length - 1]!.seq));
      status.exported.spans += spans.length;
      status.last_export_at = new Date().toISOString();
      more ||= queued.length === batchSize;
    }
    return more;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  }

  function run(): void {
    timer = null;
    if (stopped || running) return;
    running = cycle().then(
      (more) => {
        running = null;
        delay = retryMs;
        status.state = 'idle';
        status.last_error = null;
        status.failing_since = null;
        status.next_retry_at = null;
        schedule(more ? 0 : pollMs);
      },
      (err: unknown) => {
        running = null;
        // The endpoint may carry a password (http://user:pw@host): never let it reach a log or the status.
        const message = redactSecretsIn(err instanceof Error ? err.message : String(err), opts.endpoint);
        if (status.last_error !== message) log(`[otlp] export to ${endpointShown} failed: ${message}; retrying`);
        status.state = 'retrying';
        status.last_error = message;
        status.failing_since ??= new Date().toISOString();
        status.next_retry_at = new Date(Date.now() + delay).toISOString();
        schedule(delay);
        delay = Math.min(delay * 2, maxRetryMs);
      },
    );
  }

  schedule(0);
  log(`[otlp] exporting to ${endpointShown} (text ${shareText ? 'included' : 'left out'})`);

  return {
    status() {
      const out: OtlpStatus = { ...status, exported: { ...status.exported } };
      try {
        const logs = (countEvents.get(readCursor(db, OTLP_LOGS_STREAM)) as { n: number }).n;
        const spans = (countQueue.get(readCursor(db, OTLP_SPANS_STREAM)) as { n: number }).n;
        out.pending_logs = logs;
        out.pending_spans = spans;
        out.pending = logs + spans;
      } catch {
        // the store is unavailable: pending unknown (null), the rest still stands
      }
      return out;
    },
    nudge() {
      if (!running && !stopped && status.state !== 'retrying') schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
      await Promise.allSettled([logExporter.shutdown(), traceExporter.shutdown()]);
    },
  };
}
