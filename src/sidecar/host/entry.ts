// Bundle entry for build/agent-monitor/server/host/addons.cjs: everything the patches call.
export { migrateHostSchema, hookDedupKey, hookSessionId, markSeen, summarizeEvent } from '../index.js';
export { MAX_BODY_BYTES, attach, eventTime, handleHookPost, hostStatus, listen, listenPort, route, stop } from './server-host.js';
