// What the running sidecar reports about its health and about data it could not keep, for the
// headless runner's `status` (scripts/monitor.ts). When no sidecar runs, the spool's own files
// still tell what waits and what was lost, so that part never depends on the sidecar.
import http from 'node:http';
import { spoolStatus, type SpoolStatus } from '../sidecar/spool-files.js';
import { readRuntimeFile, type SidecarHostStatusDoc } from './sidecar-manager.js';
import { redactUrlsIn } from '../shared/redact-url.js';

/** The live part of `team_sync` / `otlp` in GET /api/host/status (docs/contracts.md). */
export interface ExportLiveState {
  state: string;
  pending: number | null;
  /** ISO time of the last successful push / export since the sidecar started. */
  lastSuccessAt: string | null;
  failingSince: string | null;
  lastError: string | null;
  /** Team sync only: rows the PostgreSQL server refused (skipped and logged by the pusher). */
  refused?: number;
}

export interface MonitorHealthReport {
  reachable: boolean;
  health: { status: 'ok' | 'degraded'; reasons: string[] } | null;
  posts: { storeFailures: number; rejected: number; lastRejected: string | null; dropped?: number } | null;
  spool: SpoolStatus;
  rollout: { malformedLines?: number; failingFiles?: number; lastError?: string | null } | null;
  /** Null when the sidecar is not running (the saved choices say what would run). */
  teamSync: ExportLiveState | null;
  otlp: ExportLiveState | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One of the two sections, defensively: an older sidecar may lack it or some of its fields. */
function liveState(raw: unknown, successKey: 'last_push_at' | 'last_export_at'): ExportLiveState | null {
  if (!raw || typeof raw !== 'object') return null;
  const o = raw as Record<string, unknown>;
  const out: ExportLiveState = {
    state: str(o.state) ?? 'unknown',
    pending: num(o.pending),
    lastSuccessAt: str(o[successKey]),
    failingSince: str(o.failing_since),
    // Already redacted by the sidecar; masked again here in case a URL slipped into a driver message.
    lastError: str(o.last_error) === null ? null : redactUrlsIn(o.last_error as string),
  };
  if (successKey === 'last_push_at') out.refused = num(o.skipped) ?? 0;
  return out;
}

function getJson(port: number, path: string, token: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(body) : null);
        } catch {
          resolve(null);
        }
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

export async function readMonitorHealth(dataDir: string, timeoutMs = 1500): Promise<MonitorHealthReport> {
  const rt = readRuntimeFile(dataDir);
  const doc = rt ? ((await getJson(rt.port, '/api/host/status', rt.token, timeoutMs)) as (SidecarHostStatusDoc & { watcher?: Record<string, unknown> }) | null) : null;
  const disk = spoolStatus(dataDir, { checkWritable: true });
  if (!doc) return { reachable: false, health: null, posts: null, spool: disk, rollout: null, teamSync: null, otlp: null };
  const live = doc as unknown as Record<string, unknown>;
  return {
    reachable: true,
    health: doc.health ?? null,
    posts: doc.posts ?? null,
    spool: { ...disk, ...(doc.spool ?? {}) },
    rollout: (doc.watcher as MonitorHealthReport['rollout']) ?? null,
    teamSync: liveState(live.team_sync, 'last_push_at'),
    otlp: liveState(live.otlp, 'last_export_at'),
  };
}

/** Lines for a terminal: health first, then every count of data not (yet) stored. */
export function formatMonitorHealth(r: MonitorHealthReport): string[] {
  const out: string[] = [];
  if (!r.reachable) out.push('sidecar health  not running (the counts below are read from the spool folder)');
  else out.push(`sidecar health  ${r.health?.status ?? 'unknown'}`);
  for (const reason of r.health?.reasons ?? []) out.push(`  degraded: ${reason}`);
  const s = r.spool;
  out.push(`spool           ${s.pending} bytes waiting; ${s.dropped} dropped; ${s.rejected} malformed (spool/rejected.jsonl); ${s.quarantined} quarantined (spool/quarantined.jsonl)`);
  if (s.unwritable) out.push(`  spool unwritable: ${s.unwritable}`);
  if (r.posts) {
    out.push(`hook posts      ${r.posts.storeFailures} refused while the store was unavailable (spooled); ${r.posts.rejected} rejected as unstorable; ${r.posts.dropped ?? 0} dropped`);
    if (r.posts.lastRejected) out.push(`  last rejected: ${r.posts.lastRejected}`);
  }
  if (r.rollout) out.push(`rollout import  ${r.rollout.malformedLines ?? 0} malformed line(s) skipped; ${r.rollout.failingFiles ?? 0} file(s) failing${r.rollout.lastError ? ` (${r.rollout.lastError})` : ''}`);
  return out;
}

function describeLive(label: string, success: string, s: ExportLiveState | null, reachable: boolean): string[] {
  if (!reachable) return [`${label}not running (the sidecar is not running)`];
  if (!s) return [`${label}unknown (this sidecar does not report it)`];
  if (s.state === 'off') return [`${label}off`];
  const parts = [s.failingSince ? `${s.state} since ${s.failingSince}` : s.state];
  parts.push(s.pending === null ? 'waiting: unknown' : `${s.pending} waiting`);
  parts.push(`last ${success} ${s.lastSuccessAt ?? 'none since the sidecar started'}`);
  if (s.refused) parts.push(`${s.refused} row(s) refused by PostgreSQL (skipped, see the sidecar log)`);
  const out = [`${label}${parts.join('; ')}`];
  if (s.lastError) out.push(`  last error: ${s.lastError}`);
  return out;
}

/** Lines for a terminal: what team sync and the OTLP export are doing now (next to the saved choices). */
export function formatExportHealth(r: MonitorHealthReport): string[] {
  return [...describeLive('Team sync now  ', 'push', r.teamSync, r.reachable), ...describeLive('OTLP now       ', 'export', r.otlp, r.reachable)];
}
