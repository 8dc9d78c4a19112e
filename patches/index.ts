// Every patch applied to the vendored upstream: one spec file per patch, named after its id.
// Order here does not matter: the engine orders them by `after`.
import type { PatchSpec } from '../src/patcher/types.js';
import hostSchema from './host-schema.js';
import harnessStmt from './harness-stmt.js';
import eventDedupStmt from './event-dedup-stmt.js';
import sessionSources from './session-sources.js';
import hostRequireHooks from './host-require-hooks.js';
import transcriptOutsideTx from './transcript-outside-tx.js';
import codexSessionId from './codex-session-id.js';
import harnessStamp from './harness-stamp.js';
import eventDedup from './event-dedup.js';
import hookPostHost from './hook-post-host.js';
import hostRequireIndex from './host-require-index.js';
import portFromHost from './port-from-host.js';
import bodyLimit from './body-limit.js';
import hostRoutes from './host-routes.js';
import hostStart from './host-start.js';
import hostStop from './host-stop.js';
import dashboardHelpers from './host-dashboard-helpers.js';
import harnessBadge from './harness-badge.js';
import harnessFilter from './harness-filter.js';
import eventSourceBadge from './event-source-badge.js';
import handlerDelivery from './handler-delivery.js';
import sharedSummary from './shared-summary.js';
import eventTime from './event-time.js';
import handlerDeliveryId from './handler-delivery-id.js';
import handlerExitTimer from './handler-exit-timer.js';
import dashboardEntry from './dashboard-entry.js';
import handlerDeepPayload from './handler-deep-payload.js';

export const allPatches: PatchSpec[] = [
  hostSchema, harnessStmt, eventDedupStmt, sessionSources, hostRequireHooks, transcriptOutsideTx, codexSessionId, harnessStamp, eventDedup, hookPostHost, hostRequireIndex, portFromHost, bodyLimit, hostRoutes, hostStart, hostStop, dashboardHelpers, harnessBadge, harnessFilter, eventSourceBadge,
  handlerDelivery,
  sharedSummary,
  eventTime,
  handlerDeliveryId,
  handlerExitTimer,
  dashboardEntry,
  handlerDeepPayload,
];
