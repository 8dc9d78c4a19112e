// One definition of "where was this session seen", used by the session-sources patch (the list
// endpoint) and by the host's live session frames, so both report the same row shape.
// seen_by is one of 'hook', 'rollout', 'hook,rollout' (src/sidecar/schema.ts markSeen); each
// EXISTS is one seek on idx_events_seen, so the cost does not grow with the session's length
// (it runs on every hook post).
const seenBy = (source: 'hook' | 'rollout'): string =>
  `SELECT '${source}' AS v WHERE EXISTS (SELECT 1 FROM events WHERE events.session_id = sessions.id AND events.seen_by IN ('${source}', 'hook,rollout'))`;

export const SESSION_SOURCES_COLUMN = `(SELECT group_concat(v, ',') FROM (${seenBy('hook')} UNION ALL ${seenBy('rollout')})) AS sources`;

/**
 * SQL, true while a history file of the session `idSql` names has its summary in but not yet all
 * its timeline rows (the history import's two phases: src/sidecar/tail-import.ts ImportPhase).
 * One seek per summary table on its session_id index.
 */
export function timelineImportingSql(idSql: string): string {
  const pending = (files: string, summaries: string): string =>
    `EXISTS (SELECT 1 FROM ${summaries} sm LEFT JOIN ${files} f ON f.path = sm.path
              WHERE sm.session_id = ${idSql} AND (f.path IS NULL OR f.offset < sm.offset))`;
  return `(${pending('claude_transcript_files', 'claude_transcript_summaries')} OR ${pending('codex_rollout_files', 'codex_rollout_summaries')})`;
}

/** `importing` (0/1) of a session list row: its event count is not final yet. */
export const SESSION_IMPORTING_COLUMN = `${timelineImportingSql('sessions.id')} AS importing`;
