/**
 * The sidecar's OTLP export, configured from its environment (docs/contracts.md "OpenTelemetry
 * export"): on when AGENT_MONITOR_OTLP_ENDPOINT is set; text only with AGENT_MONITOR_SHARE_TEXT=1.
 * AGENT_MONITOR_OTLP_BATCH, _POLL_MS, _RETRY_MS, _MAX_RETRY_MS and _TIMEOUT_MS tune the loop
 * (tests shorten them). With the export off, the span-queue triggers are dropped so an insert
 * costs nothing extra; the cursors stay, and turning it back on resumes where it stopped.
 */
import type Database from 'better-sqlite3';
import { machineIdentity } from '../team/machine.js';
import { dropSpanQueueTriggers } from './outbox.js';
import { OFF_STATUS, startOtlpExport, type OtlpExport, type OtlpStatus } from './exporter.js';
import type { WriteTurn } from '../write-turn.js';

export { OFF_STATUS, type OtlpExport, type OtlpStatus } from './exporter.js';

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

export function startOtlpFromEnv({ db, dataDir, env = process.env, log, writeTurn }: { db: Database.Database; dataDir: string; env?: NodeJS.ProcessEnv; log: (line: string) => void; writeTurn?: WriteTurn }): OtlpExport | null {
  const endpoint = env.AGENT_MONITOR_OTLP_ENDPOINT?.trim();
  if (!endpoint) {
    try {
      dropSpanQueueTriggers(db);
    } catch (err) {
      log(`[otlp] could not drop the span-queue triggers: ${(err as Error).message}`);
    }
    return null;
  }
  let identity: { machineId: string; machineName: string };
  try {
    identity = machineIdentity(dataDir, env);
  } catch (err) {
    const message = (err as Error).message;
    log(`[otlp] not started: ${message}`);
    const failed: OtlpStatus = { ...OFF_STATUS, state: 'error', last_error: message };
    return { status: () => failed, nudge: () => {}, stop: () => Promise.resolve() };
  }
  return startOtlpExport({
    db,
    endpoint,
    shareText: env.AGENT_MONITOR_SHARE_TEXT === '1',
    identity,
    batchSize: positive(env.AGENT_MONITOR_OTLP_BATCH),
    pollMs: positive(env.AGENT_MONITOR_OTLP_POLL_MS),
    retryMs: positive(env.AGENT_MONITOR_OTLP_RETRY_MS),
    maxRetryMs: positive(env.AGENT_MONITOR_OTLP_MAX_RETRY_MS),
    timeoutMs: positive(env.AGENT_MONITOR_OTLP_TIMEOUT_MS),
    log,
    writeTurn,
  });
}
