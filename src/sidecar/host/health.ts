// What keeps the sidecar from doing its job, in words a user can act on. The host reports it in
// GET /api/health ("degraded" with reasons, never a silent "ok") and in GET /api/host/status.

/** The kind of storage failure an error means, or null when it is not about the store. */
export type StorageProblemKind = 'disk full' | 'read-only' | 'corrupt database' | 'I/O error' | 'database busy';

export function classifyStorageError(err: unknown): StorageProblemKind | null {
  const rawCode = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const text = `${code} ${err instanceof Error ? err.message : String(err)}`;
  if (/SQLITE_FULL|ENOSPC|EDQUOT|disk is full|database or disk is full/i.test(text)) return 'disk full';
  if (/SQLITE_READONLY|EROFS|readonly database|read-only file system/i.test(text)) return 'read-only';
  if (/SQLITE_CORRUPT|SQLITE_NOTADB|malformed|not a database/i.test(text)) return 'corrupt database';
  if (/SQLITE_IOERR|SQLITE_CANTOPEN|\bEIO\b|disk I\/O error/i.test(text)) return 'I/O error';
  if (/SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(text)) return 'database busy';
  return null;
}

export interface StorageProblem {
  kind: StorageProblemKind;
  detail: string;
  since: string;
}

export interface HealthDoc {
  status: 'ok' | 'degraded';
  reasons: string[];
}

export function healthOf(parts: {
  storage: StorageProblem | null;
  runtimeFileError: string | null;
  spoolUnwritable: string | null;
  rolloutError: string | null;
}): HealthDoc {
  const reasons: string[] = [];
  if (parts.storage) reasons.push(`${parts.storage.kind}: events cannot be stored (${parts.storage.detail}); since ${parts.storage.since}`);
  if (parts.runtimeFileError) reasons.push(`runtime.json cannot be written (${parts.runtimeFileError}): hook handlers cannot find the sidecar`);
  if (parts.spoolUnwritable) reasons.push(`the spool is unwritable (${parts.spoolUnwritable}): events the handlers cannot post are counted as dropped`);
  if (parts.rolloutError) reasons.push(`rollout import failing: ${parts.rolloutError}`);
  return { status: reasons.length ? 'degraded' : 'ok', reasons };
}
