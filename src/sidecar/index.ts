/**
 * The sidecar add-ons, and the single entry esbuild bundles into
 * build/agent-monitor/server/host/addons.cjs: everything the gated patches call (see patches/)
 * plus what the tests and benchmarks drive directly. The rollout worker thread is the only other
 * bundle (src/sidecar/rollout/worker.ts), because it runs in its own isolate.
 */
export { migrateHostSchema, markSeen, HOST_SCHEMA_VERSION } from './schema.js';
export { hookDedupKey, hookSessionId, dedupKeys, sha16 } from '../shared/dedup.js';
export { canonicalToolName, summarizeEvent } from '../shared/events.js';
export { importRolloutFile, type ImportChange, type ImportOptions, type ImportResult } from './rollout/import.js';
export { startRolloutWatcher, type RolloutWatcher, type RolloutWatcherOptions } from './rollout/watcher.js';
export type { WatcherStatus } from './rollout/engine.js';
export {
  parseRolloutLine,
  parseRolloutText,
  initialParserState,
  decodeLine,
  type ParserState,
  type RolloutRecord,
  type EventRecord,
} from './rollout/parse.js';
export { MAX_BODY_BYTES, attach, eventTime, handleHookPost, hostStatus, listen, listenPort, openSchema, route, stop } from './host/server-host.js';
