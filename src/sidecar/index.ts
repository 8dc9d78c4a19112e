/**
 * Sidecar add-ons called by the gated patches of the upstream server (bundled to
 * build/agent-monitor/server/host/addons.cjs). Rollout import: issue #4, design.md §6.
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
