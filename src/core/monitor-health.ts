// What the running sidecar reports about its health and about data it could not keep, for the
// headless runner's `status` (scripts/monitor.ts). When no sidecar runs, the spool's own files
// still tell what waits and what was lost, so that part never depends on the sidecar.
import http from 'node:http';
import { spoolStatus, type SpoolStatus } from '../sidecar/spool-files.js';
import { readRuntimeFile, type SidecarHostStatusDoc } from './sidecar-manager.js';

export interface MonitorHealthReport {
  reachable: boolean;
  health: { status: 'ok' | 'degraded'; reasons: string[] } | null;
  posts: { storeFailures: number; rejected: number; lastRejected: string | null; dropped?: number } | null;
  spool: SpoolStatus;
  rollout: { malformedLines?: number; failingFiles?: number; lastError?: string | null } | null;
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
  if (!doc) return { reachable: false, health: null, posts: null, spool: disk, rollout: null };
  return {
    reachable: true,
    health: doc.health ?? null,
    posts: doc.posts ?? null,
    spool: { ...disk, ...(doc.spool ?? {}) },
    rollout: (doc.watcher as MonitorHealthReport['rollout']) ?? null,
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
